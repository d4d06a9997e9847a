package ctl

import (
	"context"
	"errors"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/semaphore/slot"
)

// errTimeout is matched by the cause of a context that reached --timeout.
var errTimeout = errors.New("timed out")

// timeoutCause is the cause of a context that reached --timeout. It matches errTimeout and, so
// that package semaphore words it as a timeout of etcd, context.DeadlineExceeded.
type timeoutCause struct{ after time.Duration }

func (c timeoutCause) Error() string {
	return fmt.Sprintf("timed out: no answer within %s (see --timeout)", c.after)
}

func (c timeoutCause) Is(target error) bool {
	return target == errTimeout || target == context.DeadlineExceeded
}

// connect connects to etcd and returns the client. Invalid connection settings are a usage
// error; warnings about them go to stderr. The connection is made within --timeout, and given
// up when ctx ends; an endpoint that refuses or does not resolve fails at once.
func (r *run) connect(ctx context.Context) (*clientv3.Client, error) {
	cfg := r.opts.etcdConfig()
	if err := cfg.Validate(); err != nil {
		return nil, usageError{err}
	}
	for _, w := range cfg.Warnings() {
		r.warnf("%s", w)
	}
	client, err := etcdclient.Connect(ctx, cfg)
	if ue, ok := errors.AsType[*etcdclient.UnreachableError](err); ok && ue.NoServer {
		return nil, explain(err, "%v (is etcd running? set --endpoint or LOCKSMITHCTL_ENDPOINT, or LOCKSMITHD_ENDPOINT in /etc/flatcar/update.conf)", err)
	}
	return client, err
}

// semaphore connects to etcd (see connect) and returns a handle on the semaphore of the group
// and a function that closes both.
func (r *run) semaphore(ctx context.Context) (*semaphore.Semaphore, func(), error) {
	client, err := r.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	sem := semaphore.New(client, r.opts.group, semaphore.WithClock(r.cli.now))
	r.client = client
	return sem, func() {
		_ = sem.Close()
		_ = client.Close()
	}, nil
}

// withSemaphore connects to the semaphore of the group (see semaphore),
// runs f with it under --timeout and closes the connection. It returns the
// connection's error, or f's.
func (r *run) withSemaphore(ctx context.Context, f func(ctx context.Context, sem *semaphore.Semaphore) error) error {
	sem, done, err := r.semaphore(ctx)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	return f(ctx, sem)
}

// withTimeout bounds one operation by --timeout (none when it is 0).
func (r *run) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.opts.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, r.opts.timeout, timeoutCause{r.opts.timeout})
}

// etcdError words the error of an etcd operation that ran under ctx. A timeout is worded by
// package semaphore already (it names the endpoints and --timeout); a cancellation (SIGINT)
// says so here, since the client's error says only "context canceled".
func (r *run) etcdError(ctx context.Context, err error) error {
	cause := context.Cause(ctx)
	if cause == nil || errors.Is(cause, errTimeout) {
		return err
	}
	return explain(err, "interrupted (%v)", cause)
}

// groupName names the group in messages.
func (r *run) groupName() string { return slot.GroupName(r.opts.group) }

// corruptHint adds what to do to an error about a corrupt value.
func corruptHint(err error) error {
	if !errors.Is(err, semaphore.ErrCorrupt) {
		return err
	}
	return explain(err, "%v ('locksmithctl repair --force' overwrites it)", err)
}
