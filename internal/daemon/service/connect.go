package service

import (
	"context"
	"fmt"
	"log/slog"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/daemon/config"
	"locksmith.dev/locksmith/internal/etcdclient"
)

// etcdClient returns the client of the etcd settings c. Under etcd's authentication the client
// gets its token before it returns, and gives up after its dial timeout when etcd does not
// answer: that is no fault of the configuration, so etcdClient tries again, after
// daemon.EtcdRetryInitial doubling to daemon.EtcdRetryMax, until ctx ends (it then returns ctx's
// cause). It logs the first failure as a warning, the others at debug level. Settings that cannot
// work (invalid, or credentials that etcd refused) are returned at once, wrapping
// config.ErrInvalid.
func etcdClient(ctx context.Context, c etcdclient.Config, log *slog.Logger) (*clientv3.Client, error) {
	delay := daemon.EtcdRetryInitial
	for failures := 0; ; failures++ {
		client, err := etcdclient.New(c)
		switch {
		case err == nil:
			return client, nil
		case etcdclient.Permanent(err):
			return nil, fmt.Errorf("%w: %w", config.ErrInvalid, err)
		}
		level := slog.LevelDebug
		if failures == 0 {
			level = slog.LevelWarn
		}
		log.Log(ctx, level, "etcd did not answer the client's start; trying again", "error", err, "retry_in", delay)
		if err := clock.Sleep(ctx, clock.Real, delay); err != nil {
			return nil, err
		}
		delay = min(2*delay, daemon.EtcdRetryMax)
	}
}
