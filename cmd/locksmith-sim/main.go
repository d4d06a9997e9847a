// Command locksmith-sim simulates a fleet of locksmithd nodes rebooting on
// this machine, with the real daemon state machine and the real etcd
// semaphore (an embedded etcd unless --endpoint is given), and reports how
// the rollout went. "locksmith-sim --help" lists the flags. It exits 1 if
// the rollout failed (more than max nodes of a group down at once, slots
// leaked, or not finished) or could not run, 2 for a bad command line.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/flatcar/locksmith/internal/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := sim.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "locksmith-sim:", err)
		if errors.Is(err, sim.ErrUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
