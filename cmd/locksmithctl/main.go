// Command locksmithctl is the operator command line of locksmith: it shows
// and steers the cluster-wide reboot semaphore in etcd. See package
// internal/ctl for the commands and the exit status.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"locksmith.dev/locksmith/internal/ctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := ctl.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "locksmithctl:", err)
	}
	os.Exit(ctl.ExitCode(err))
}
