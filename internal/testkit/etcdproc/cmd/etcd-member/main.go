// Command etcd-member runs one member of an etcd cluster from
// go.etcd.io/etcd/server/v3/embed, for tests that must kill, stop and
// restart members as real processes. It prints "ready" on standard output
// once the member serves clients, and stops cleanly on SIGTERM or SIGINT.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"locksmith.dev/locksmith/internal/testkit/etcdproc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := etcdproc.RunMember(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "etcd-member:", err)
		os.Exit(1)
	}
}
