package service

import (
	"context"
	"errors"
	"fmt"

	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/semaphore"
)

// etcdLock returns the daemon.Lock of the etcd semaphore sem, whose errors tell the operator
// what to do: a timeout says why etcd did not answer when the endpoints of cfg show it (refused,
// not resolving, a TLS mismatch; see etcdclient.Config.Diagnose), and a corrupt value names the
// command that repairs it.
func etcdLock(sem *semaphore.Semaphore, cfg etcdclient.Config) daemon.Lock {
	return wrapLock{sem, func(err error) error { return explain(cfg, err) }}
}

// explain adds to err, of the etcd at cfg, what the operator needs to know.
func explain(cfg etcdclient.Config, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, semaphore.ErrCorrupt):
		return fmt.Errorf("%w (an operator must repair it: locksmithctl repair shows what it would write, --force writes it)", err)
	case errors.Is(err, context.DeadlineExceeded):
		ctx, cancel := context.WithTimeout(context.Background(), etcdclient.DiagnoseTimeout)
		defer cancel()
		if ue, ok := errors.AsType[*etcdclient.UnreachableError](cfg.Diagnose(ctx, etcdclient.DiagnoseTimeout)); ok {
			hint := ""
			if ue.NoServer {
				hint = " (is etcd running? set LOCKSMITHD_ENDPOINT in /etc/flatcar/update.conf, or --endpoint)"
			}
			return fmt.Errorf("%v%s: %w", ue, hint, err)
		}
	}
	return err
}
