package semaphore

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// lead fills free slots as soon as there are any, following the semaphore
// key: the head takes its slot and admits the waiters behind it in one
// write (see take). It returns nil once the slot is held.
func (w *waiter) lead(ctx context.Context) error {
	var wch clientv3.WatchChan
	stop := func() {}
	defer func() { stop() }()
	for {
		if w.bad != nil {
			return w.bad
		}
		if _, ok := w.state.Holder(w.h.ID); ok {
			w.leave(ctx)
			return nil
		}
		if st, _, _ := applyReleases(w.state, w.releases); st.Free() > 0 {
			if err := w.take(ctx); !errors.Is(err, errRaced) {
				return err
			}
			continue
		}
		if wch == nil {
			var gap bool
			var err error
			if wch, gap, stop, err = w.watch(ctx, w.s.key); err != nil {
				return err
			}
			if gap {
				resp, err := w.s.client.Get(ctx, w.s.key)
				if err != nil {
					return err
				}
				w.setState(resp.Header.Revision, resp.Kvs)
			}
			w.settled()
			continue
		}
		resp, err := w.next(ctx, wch)
		if err != nil {
			return err
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
}

// take writes, with one compare-and-swap, a value in which the pending
// release requests are applied and the head and the waiters behind it in
// its window hold slots, in arrival order, as many as there are free slots
// (at most maxBatch), and deletes their waiter keys; each of the others learns that it holds a slot when the
// waiter ahead of it leaves. The write requires the value to be the one
// known and every admitted waiter key to be still there; when slots are
// left after the whole queue as the head read it, also that no waiter
// came since. Waiters whose id
// holds a slot already are admitted without a new slot, and keys whose
// value is no valid id (not written by this package) are deleted without
// one. take returns nil when the head holds its slot; errRaced when the
// write lost to another (the value and the window have been read again);
// errAdmitted or errDequeued when the head's own key is gone.
func (w *waiter) take(ctx context.Context) error {
	s := w.s
	next, cmps, dels := applyReleases(w.state, w.releases)
	free := next.Free()
	cmps = append(cmps, s.keyIs(next.Revision))
	admitted := 0
	for _, q := range w.window {
		if free == 0 || admitted == maxBatch {
			break
		}
		admitted++
		if _, held := next.Holder(q.h.ID); !held && validateID(q.h.ID) == nil {
			next = s.admit(next, q.h)
			free--
		}
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(q.key), "=", q.rev))
		dels = append(dels, clientv3.OpDelete(q.key))
	}
	if free > 0 && w.whole && admitted == len(w.window) {
		// Slots are left after every waiter known: require that no
		// waiter came since (each puts the last-waiter key), or read the
		// window again.
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.last), "<", w.windowAt+1))
	}
	val, err := encodeValue(next)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	size := w.windowSize()
	c, cancel := wctx(ctx)
	resp, err := s.client.Txn(c).
		If(cmps...).
		Then(append([]clientv3.Op{clientv3.OpPut(s.key, string(val)), s.forgetLast(w.window[admitted-1].key)}, dels...)...).
		Else(clientv3.OpGet(s.key), w.windowOp(size), s.releasesOp()).
		Commit()
	cancel()
	if err != nil {
		return fmt.Errorf("take slot: %w", err)
	}
	if resp.Succeeded {
		next.Revision = resp.Header.Revision
		s.remember(snapshot{state: next, seen: next.Revision}) // queue unknown: claim empty, verified later
		return nil
	}
	w.setState(resp.Header.Revision, resp.Responses[0].GetResponseRange().Kvs)
	w.releases = s.parseReleases(resp.Responses[2].GetResponseRange().Kvs)
	if err := w.setWindow(resp.Responses[1].GetResponseRange().Kvs, resp.Header.Revision, size); err != nil {
		return err
	}
	return errRaced
}
