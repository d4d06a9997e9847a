package semaphore

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// WaitChange blocks until the semaphore's value is no longer the one at revision rev (a State's
// Revision) and returns the state read then. It returns at once when the key changed after rev,
// or when etcd compacted that history away. It returns an error if the watch fails, if etcd
// loses its leader, or when ctx ends (wrapping ctx's cause). It never writes.
func (s *Semaphore) WaitChange(ctx context.Context, rev int64) (State, error) {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range s.client.Watch(wctx, s.key, clientv3.WithRev(rev+1)) {
		if resp.CompactRevision != 0 || len(resp.Events) > 0 {
			return s.Get(ctx)
		}
		if err := resp.Err(); err != nil {
			return State{}, fmt.Errorf("watch %s: %w", s.key, err)
		}
	}
	if ctx.Err() != nil {
		return State{}, s.explain(ctx, fmt.Errorf("watch %s: %w", s.key, context.Cause(ctx)))
	}
	return State{}, fmt.Errorf("watch %s: closed", s.key)
}

// watchAsync is client.Watch without its wait: the client blocks in Watch while it opens a stream
// to a frozen member, and a waiter must go on reading meanwhile. The channel returned forwards
// the watch's responses; it is closed when the watch's channel is, or when ctx ends.
func (s *Semaphore) watchAsync(ctx context.Context, key string, opts ...clientv3.OpOption) clientv3.WatchChan {
	out := make(chan clientv3.WatchResponse)
	go func() {
		defer close(out)
		wch := s.client.Watch(ctx, key, opts...)
		for {
			select {
			case resp, ok := <-wch:
				if !ok {
					return
				}
				select {
				case out <- resp:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
