// Command locksmithd is locksmith's reboot coordinator daemon. Run
// "locksmithd --help" for its configuration; the daemon itself lives in
// internal/daemon.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"locksmith.dev/locksmith/internal/daemon/service"
	"locksmith.dev/locksmith/internal/envflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := service.Main(ctx, os.Args[1:], envflag.OS(), os.Stdout, os.Stderr)
	stop()
	if code := service.ExitCode(err); code != 0 {
		fmt.Fprintln(os.Stderr, "locksmithd:", err)
		os.Exit(code)
	}
}
