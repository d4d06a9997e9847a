package daemon

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/flatcar/locksmith/semaphore"
)

// EtcdLock is the [Lock] of a real semaphore: the Semaphore's methods, and
// WaitChange from an etcd watch on the semaphore's key.
type EtcdLock struct {
	*semaphore.Semaphore
	// Client is the client the Semaphore uses.
	Client *clientv3.Client
}

// WaitChange watches the semaphore's key from revision rev+1 and returns
// the state read after the first change (immediately if the key changed
// since rev, or if the watch reports that history as compacted). It returns
// an error if the watch fails or ctx ends.
func (l EtcdLock) WaitChange(ctx context.Context, rev int64) (semaphore.State, error) {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range l.Client.Watch(wctx, l.Key(), clientv3.WithRev(rev+1)) {
		if resp.CompactRevision != 0 || len(resp.Events) > 0 {
			return l.Get(ctx)
		}
		if err := resp.Err(); err != nil {
			return semaphore.State{}, fmt.Errorf("watch %s: %w", l.Key(), err)
		}
	}
	if err := ctx.Err(); err != nil {
		return semaphore.State{}, fmt.Errorf("watch %s: %w", l.Key(), context.Cause(ctx))
	}
	return semaphore.State{}, fmt.Errorf("watch %s: closed", l.Key())
}
