package semaphore

import (
	"context"
	"errors"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Acquire takes a slot for h, waiting as long as it takes. It returns nil
// when h.ID holds a slot: at once if it was a holder already (its facts
// are then left as they were), otherwise once h was added with AcquiredAt
// set from the clock when zero. A newcomer takes a free slot at once only
// when no queued waiter is entitled to it; otherwise it joins the queue
// and is served first come, first served (see the package documentation).
//
// When ctx ends first, Acquire leaves the queue and returns an error
// wrapping ctx.Err(); when the Semaphore is closed, one wrapping ErrClosed.
// Other errors: ErrInvalidID, a *CorruptError (also when the value becomes
// corrupt while waiting), or the error of etcd. After an error, h holds no
// slot taken by this call.
func (s *Semaphore) Acquire(ctx context.Context, h Holder) error {
	err := s.tryAcquire(ctx, h)
	if errors.Is(err, ErrFull) {
		err = s.wait(ctx, h)
	}
	if err != nil {
		return fmt.Errorf("acquire %s for %q: %w", s.key, h.ID, err)
	}
	return nil
}

// Internal outcomes of a waiter.
var (
	errDequeued = errors.New("waiter key vanished")   // enqueue again
	errResync   = errors.New("watch ended or lagged") // read again, watch again
)

// wait queues h and blocks until it holds a slot, ctx ends or s is closed.
// A waiter whose key vanished (lease lost, key deleted) queues again.
func (s *Semaphore) wait(ctx context.Context, h Holder) error {
	for {
		w, err := s.enqueue(ctx, h)
		if err != nil {
			return err
		}
		if err = w.run(ctx); !errors.Is(err, errDequeued) {
			return err
		}
	}
}

// waiter is one queued Acquire call. Its view of the semaphore and of the
// queue ahead of it is kept up to date from watch events.
type waiter struct {
	s     *Semaphore
	h     Holder
	key   string              // own waiter key
	rev   int64               // create revision of key
	ahead map[string]struct{} // waiter keys created before key and not yet deleted
	state State               // the semaphore's value as last known
	bad   *CorruptError       // set when that value is corrupt
	seen  int64               // store revision at which state was known
}

// enqueue puts a waiter key for h and, in the same transaction, reads the
// semaphore and the queue.
func (s *Semaphore) enqueue(ctx context.Context, h Holder) (*waiter, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lease, err := s.leaseID(ctx)
		if err != nil {
			return nil, err
		}
		w := &waiter{s: s, h: h, key: fmt.Sprintf("%s%016x-%d", s.queue, int64(lease), s.seq.Add(1))}
		c, cancel := wctx(ctx)
		resp, err := s.client.Txn(c).Then(
			clientv3.OpPut(w.key, h.ID, clientv3.WithLease(lease)),
			clientv3.OpGet(s.key),
			clientv3.OpGet(s.queue, clientv3.WithPrefix(), clientv3.WithKeysOnly()),
		).Commit()
		cancel()
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			s.forgetLease(lease)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("enqueue: %w", err)
		}
		w.rev = resp.Header.Revision
		if err := w.sync(resp.Header.Revision, resp.Responses[1:]); err != nil {
			return nil, err
		}
		return w, nil
	}
}

// run waits until the waiter holds a slot. It leaves the queue on any
// outcome but success and errDequeued.
func (w *waiter) run(ctx context.Context) error {
	from := w.rev + 1
	for {
		if w.s.opts.beforeWatch != nil {
			w.s.opts.beforeWatch()
		}
		wc, stop := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wch := w.s.client.Watch(wc, w.s.key, clientv3.WithRange(clientv3.GetPrefixRangeEnd(w.s.queue)), clientv3.WithRev(from))
		err := w.follow(ctx, wch)
		stop()
		if errors.Is(err, errResync) {
			if from, err = w.resync(ctx); err == nil {
				continue
			}
		}
		if err != nil && !errors.Is(err, errDequeued) {
			w.leave(ctx)
		}
		return err
	}
}

// follow takes a slot as soon as the waiter may, applying watch events
// until then. It returns nil once the slot is held.
func (w *waiter) follow(ctx context.Context, wch clientv3.WatchChan) error {
	for {
		if held, err := w.take(ctx); held || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.s.done:
			return ErrClosed
		case resp, ok := <-wch:
			if !ok || resp.Canceled || resp.Err() != nil {
				if err := ctx.Err(); err != nil {
					return err
				}
				return errResync
			}
			for _, ev := range resp.Events {
				if err := w.apply(ev); err != nil {
					return err
				}
			}
		}
	}
}

// take takes a slot when the waiter is a holder already, or when fewer
// waiters are ahead of it than slots are free. It reports whether the slot
// is held. The compare-and-swap also deletes the waiter key and requires
// it to still exist; when it fails, its else branch refreshes the value.
func (w *waiter) take(ctx context.Context) (bool, error) {
	s := w.s
	for {
		if w.bad != nil {
			return false, w.bad
		}
		if _, ok := w.state.Holder(w.h.ID); ok {
			w.leave(ctx)
			return true, nil
		}
		if len(w.ahead) >= w.state.Free() {
			return false, nil
		}
		next := s.admit(w.state, w.h)
		val, err := encodeValue(next)
		if err != nil {
			return false, err
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		c, cancel := wctx(ctx)
		resp, err := s.client.Txn(c).
			If(s.keyIs(w.state.Revision), clientv3.Compare(clientv3.CreateRevision(w.key), "=", w.rev)).
			Then(clientv3.OpPut(s.key, string(val)), clientv3.OpDelete(w.key)).
			Else(clientv3.OpGet(s.key), clientv3.OpGet(w.key, clientv3.WithCountOnly())).
			Commit()
		cancel()
		if err != nil {
			return false, fmt.Errorf("take slot: %w", err)
		}
		if resp.Succeeded {
			next.Revision = resp.Header.Revision
			s.remember(snapshot{state: next, seen: next.Revision}) // queue unknown: claim empty, verified later
			return true, nil
		}
		if resp.Responses[1].GetResponseRange().Count == 0 {
			return false, errDequeued
		}
		w.setState(resp.Header.Revision, resp.Responses[0].GetResponseRange().Kvs)
	}
}

// apply updates the waiter's view with one watch event. The deletion of
// the waiter's own key yields errDequeued.
func (w *waiter) apply(ev *clientv3.Event) error {
	k := string(ev.Kv.Key)
	switch {
	case k == w.s.key && ev.Kv.ModRevision > w.seen:
		var kvs []*mvccpb.KeyValue
		if ev.Type == clientv3.EventTypePut {
			kvs = []*mvccpb.KeyValue{ev.Kv}
		}
		w.setState(ev.Kv.ModRevision, kvs)
	case ev.Type != clientv3.EventTypeDelete:
	case k == w.key:
		return errDequeued
	default:
		delete(w.ahead, k)
	}
	return nil
}

// resync reads the semaphore and the queue again after the watch ended or
// lagged behind a compaction, and returns the revision to watch from.
func (w *waiter) resync(ctx context.Context) (int64, error) {
	resp, err := w.s.client.Txn(ctx).Then(
		clientv3.OpGet(w.s.key),
		clientv3.OpGet(w.s.queue, clientv3.WithPrefix(), clientv3.WithKeysOnly()),
	).Commit()
	if err != nil {
		return 0, fmt.Errorf("resync: %w", err)
	}
	if err := w.sync(resp.Header.Revision, resp.Responses); err != nil {
		return 0, err
	}
	return resp.Header.Revision + 1, nil
}

// sync sets the waiter's view from the responses of a read of the key and
// of the queue (keys only) at store revision rev.
func (w *waiter) sync(rev int64, resps []*pb.ResponseOp) error {
	w.setState(rev, resps[0].GetResponseRange().Kvs)
	w.ahead = map[string]struct{}{}
	found := false
	for _, kv := range resps[1].GetResponseRange().Kvs {
		switch {
		case kv.CreateRevision < w.rev:
			w.ahead[string(kv.Key)] = struct{}{}
		case string(kv.Key) == w.key:
			found = true
		}
	}
	if !found {
		return errDequeued
	}
	return nil
}

// setState records the semaphore's value (kvs empty: absent) as known at
// store revision rev.
func (w *waiter) setState(rev int64, kvs []*mvccpb.KeyValue) {
	if rev < w.seen {
		return
	}
	w.seen = rev
	w.state, w.bad = w.s.decodeKV(kvs)
}

// leave deletes the waiter key, even when ctx has ended. If that fails the
// key goes with the waiter lease.
func (w *waiter) leave(ctx context.Context) {
	c, cancel := wctx(ctx)
	defer cancel()
	_, _ = w.s.client.Delete(c, w.key)
}
