// Command locksmith-fleetlockd is a FleetLock server on locksmith's etcd semaphore. Run
// "locksmith-fleetlockd --help" for its configuration; the server lives in package fleetlock.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"locksmith.dev/locksmith/internal/fleetlockd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := fleetlockd.Main(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr, nil)
	stop()
	if code := fleetlockd.ExitCode(err); code != 0 {
		fmt.Fprintln(os.Stderr, "locksmith-fleetlockd:", err)
		os.Exit(code)
	}
}
