// Command locksmith-sim simulates a fleet of locksmithd nodes rebooting on
// this machine, with the real daemon state machine and the real etcd
// semaphore (an embedded etcd unless --endpoint is given), and reports how
// the rollout went. "locksmith-sim --help" lists the flags.
//
// "locksmith-sim bench [flags]" runs the benchmark of BENCHMARKS.md
// instead (see package internal/sim/bench; "make bench" runs it), and
// "locksmith-sim fleetlock-bench [flags]" the FleetLock server's benchmark
// (package internal/sim/fleetbench).
//
// It exits 1 if the rollout failed (more than max nodes of a group down at
// once, slots leaked, or not finished) or could not run, 2 for a bad
// command line.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"locksmith.dev/locksmith/internal/sim"
	"locksmith.dev/locksmith/internal/sim/bench"
	"locksmith.dev/locksmith/internal/sim/fleetbench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	run := sim.Run
	args := os.Args[1:]
	if len(args) > 0 {
		switch args[0] {
		case "bench":
			run, args = bench.Run, args[1:]
		case "fleetlock-bench":
			run, args = fleetbench.Run, args[1:]
		}
	}
	err := run(ctx, args, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "locksmith-sim:", err)
		if errors.Is(err, sim.ErrUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
