package ctl

import (
	"fmt"

	"github.com/spf13/cobra"
)

// versionCommand is "locksmithctl version", as kubectl and etcdctl have it: the same line as
// --version. It needs no etcd.
func (r *run) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:               "version",
		Short:             "Print the version (as --version does)",
		Args:              maxArgs(0),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(r.cli.Stdout, "locksmithctl version %s\n", r.cli.version())
			return err
		},
	}
}
