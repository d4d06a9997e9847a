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
// corrupt while Acquire is first in the queue), or the error of etcd.
// After an error, h holds no slot taken by this call (unless etcd did not
// answer the write that takes it; see the package documentation).
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
	errDequeued = errors.New("waiter key or lease lost")        // enqueue again
	errRelocate = errors.New("predecessor left or watch ended") // read the queue again
)

// wait queues h and blocks until it holds a slot, ctx ends or s is closed.
// A waiter that lost its key or its lease queues again.
func (s *Semaphore) wait(ctx context.Context, h Holder) error {
	for {
		w, pred, err := s.enqueue(ctx, h)
		if err != nil {
			return err
		}
		if err = w.run(ctx, pred); !errors.Is(err, errDequeued) {
			return err
		}
	}
}

// waiter is one queued Acquire call. The first waiter of the queue, the
// head, follows the semaphore key and takes a slot as soon as one is free;
// every other waiter follows only the deletion of the waiter just ahead of
// it. A release thus wakes one waiter, however long the queue.
type waiter struct {
	s     *Semaphore
	h     Holder
	lease *waiterLease
	key   string // own waiter key
	rev   int64  // create revision of key
	// The semaphore's value as last known, at store revision seen.
	state State
	bad   *CorruptError // set when that value is corrupt
	seen  int64
}

// enqueue puts a waiter key for h and, in the same transaction, reads the
// semaphore and finds the waiter ahead. It returns the new waiter and the
// key of its predecessor ("" when it is the head).
func (s *Semaphore) enqueue(ctx context.Context, h Holder) (*waiter, string, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
		l, err := s.currentLease(ctx)
		if err != nil {
			return nil, "", err
		}
		w := &waiter{s: s, h: h, lease: l, key: fmt.Sprintf("%s%016x-%d", s.queue, int64(l.id), s.seq.Add(1))}
		c, cancel := wctx(ctx)
		resp, err := s.client.Txn(c).Then(
			clientv3.OpPut(w.key, h.ID, clientv3.WithLease(l.id)),
			clientv3.OpGet(s.key),
			clientv3.OpGet(s.queue, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(2),
				clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortDescend)),
		).Commit()
		cancel()
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			s.forgetLease(l)
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("enqueue: %w", err)
		}
		w.rev = resp.Header.Revision
		return w, w.place(resp.Header.Revision, resp.Responses[1:]), nil
	}
}

// locate reads the semaphore again and finds the waiter now ahead, after
// the predecessor left or a watch ended. It returns the predecessor's key,
// "" when the waiter is the head.
func (w *waiter) locate(ctx context.Context) (string, error) {
	resp, err := w.s.client.Txn(ctx).Then(
		clientv3.OpGet(w.s.key),
		clientv3.OpGet(w.s.queue, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(1),
			clientv3.WithMaxCreateRev(w.rev-1), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortDescend)),
		clientv3.OpGet(w.key, clientv3.WithCountOnly()),
	).Commit()
	if err != nil {
		return "", fmt.Errorf("read queue: %w", err)
	}
	if resp.Responses[2].GetResponseRange().Count == 0 {
		return "", errDequeued
	}
	return w.place(resp.Header.Revision, resp.Responses[:2]), nil
}

// place records the semaphore's value from the first response and returns
// the key of the latest waiter created before w in the second ("" if none).
func (w *waiter) place(rev int64, resps []*pb.ResponseOp) string {
	w.setState(rev, resps[0].GetResponseRange().Kvs)
	for _, kv := range resps[1].GetResponseRange().Kvs {
		if kv.CreateRevision < w.rev {
			return string(kv.Key)
		}
	}
	return ""
}

// run waits, as head or behind pred (both as of the last read), until the
// waiter holds a slot. It leaves the queue on any other outcome.
func (w *waiter) run(ctx context.Context, pred string) error {
	for {
		var err error
		if pred == "" {
			err = w.lead(ctx)
		} else {
			err = w.follow(ctx, pred)
		}
		if errors.Is(err, errRelocate) {
			if pred, err = w.locate(ctx); err == nil {
				continue
			}
		}
		if err != nil {
			w.leave(ctx) // also after errDequeued: the lease may outlive its keep-alive
		}
		return err
	}
}

// follow waits until the waiter ahead, pred, leaves the queue. It returns
// errRelocate then, or when the watch ended.
func (w *waiter) follow(ctx context.Context, pred string) error {
	wch, gap, stop, err := w.watch(ctx, pred, clientv3.WithFilterPut())
	defer stop()
	if err == nil && gap {
		var resp *clientv3.GetResponse
		if resp, err = w.s.client.Get(ctx, pred, clientv3.WithCountOnly()); err == nil && resp.Count == 0 {
			err = errRelocate
		}
	}
	for err == nil {
		var resp clientv3.WatchResponse
		if resp, err = w.next(ctx, wch); err == nil && len(resp.Events) > 0 {
			err = errRelocate
		}
	}
	return err
}

// lead takes a slot as soon as one is free, following the semaphore key.
// It returns nil once the slot is held.
func (w *waiter) lead(ctx context.Context) error {
	if held, err := w.take(ctx); held || err != nil {
		return err
	}
	wch, gap, stop, err := w.watch(ctx, w.s.key)
	defer stop()
	if err == nil && gap {
		var resp *clientv3.GetResponse
		if resp, err = w.s.client.Get(ctx, w.s.key); err == nil {
			w.setState(resp.Header.Revision, resp.Kvs)
		}
	}
	for err == nil {
		var held bool
		if held, err = w.take(ctx); held || err != nil {
			break
		}
		var resp clientv3.WatchResponse
		if resp, err = w.next(ctx, wch); err != nil {
			break
		}
		for _, ev := range resp.Events {
			if ev.Kv.ModRevision <= w.seen {
				continue
			}
			var kvs []*mvccpb.KeyValue
			if ev.Type == clientv3.EventTypePut {
				kvs = []*mvccpb.KeyValue{ev.Kv}
			}
			w.setState(ev.Kv.ModRevision, kvs)
		}
	}
	return err
}

// watch watches key (with opts) from the current revision and waits until
// etcd confirms the watch. A watch from a past revision could instead wait
// up to 100 ms for etcd to catch it up; gap reports that the store changed
// since the waiter's last read, which the caller then reads again.
func (w *waiter) watch(ctx context.Context, key string, opts ...clientv3.OpOption) (wch clientv3.WatchChan, gap bool, stop context.CancelFunc, err error) {
	wc, stop := context.WithCancel(clientv3.WithRequireLeader(ctx))
	wch = w.s.client.Watch(wc, key, append(opts, clientv3.WithCreatedNotify())...)
	if w.s.opts.wrapWatch != nil {
		wch = w.s.opts.wrapWatch(wch)
	}
	resp, err := w.next(ctx, wch)
	if err == nil && !resp.Created {
		err = errRelocate // not what etcd sends first
	}
	return wch, resp.Header.Revision > w.seen, stop, err
}

// next returns the next watch response with events or the notice that the
// watch was created. It fails with ctx.Err() when ctx ends, ErrClosed when
// the Semaphore is closed, errDequeued when the waiter lease is lost, and
// errRelocate when the watch ended (cancelled, compacted, or no leader).
func (w *waiter) next(ctx context.Context, wch clientv3.WatchChan) (clientv3.WatchResponse, error) {
	for {
		select {
		case <-ctx.Done():
			return clientv3.WatchResponse{}, ctx.Err()
		case <-w.s.done:
			return clientv3.WatchResponse{}, ErrClosed
		case <-w.lease.lost:
			return clientv3.WatchResponse{}, errDequeued
		case resp, ok := <-wch:
			switch {
			case !ok || resp.Canceled || resp.Err() != nil:
				if err := ctx.Err(); err != nil {
					return resp, err
				}
				return resp, errRelocate
			case resp.Created:
				if w.s.opts.watchCreated != nil {
					w.s.opts.watchCreated()
				}
				return resp, nil
			case len(resp.Events) > 0:
				return resp, nil
			}
		}
	}
}

// take takes a slot when the waiter is a holder already or a slot is
// free. It reports whether the slot is held. The compare-and-swap also
// deletes the waiter key and requires it to still exist; when it fails,
// its else branch refreshes the value.
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
		if w.state.Free() == 0 {
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
