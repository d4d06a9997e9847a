package ctl

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/semaphore/slot"
)

func (r *run) groupsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "groups",
		Short: "List the reboot groups that exist in etcd, with their max and holders",
		Long: `Groups lists every reboot group whose semaphore exists in etcd (the default
group first), with its max, the number of holders and of free slots, and the
holders. With --json it prints a JSON array. A typo in --group shows here as a
group that is missing.`,
		Args:              maxArgs(0),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              r.action(r.groups),
	}
}

// groupJSON is one group in the JSON form of groups.
type groupJSON struct {
	Group     string   `json:"group"`
	Max       int      `json:"max"`
	Available int      `json:"available"`
	Holders   []string `json:"holders"`
}

func (r *run) groups(ctx context.Context, _ []string) error {
	client, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	names, err := semaphore.Groups(ctx, client)
	if err != nil {
		return fmt.Errorf("groups: %w", r.etcdError(ctx, err))
	}
	out := []groupJSON{}
	for _, g := range names {
		sem := semaphore.New(client, g)
		st, err := sem.Get(ctx)
		_ = sem.Close()
		if err != nil {
			return fmt.Errorf("groups: %s: %w", slot.GroupName(g), corruptHint(r.etcdError(ctx, err)))
		}
		gj := groupJSON{Group: g, Max: st.Max, Available: st.Free(), Holders: []string{}}
		for _, h := range st.Holders {
			gj.Holders = append(gj.Holders, h.ID)
		}
		out = append(out, gj)
	}
	if r.opts.json {
		return writeJSON(r.cli.Stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(r.cli.Stdout, "no group has a semaphore in etcd yet")
		return nil
	}
	tw := tabwriter.NewWriter(r.cli.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tMAX\tAVAILABLE\tHOLDERS")
	for _, g := range out {
		name := g.Group
		if name == semaphore.DefaultGroup {
			name = "(default)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", name, g.Max, g.Available, orDash(strings.Join(g.Holders, ",")))
	}
	return tw.Flush()
}
