package semaphore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// lead fills free slots as soon as there are any, following the semaphore
// key and the release requests: the head applies the requests, takes its
// slot and admits the waiters behind it in one write (see take). It also
// reads them twice every pollInterval (see headPoll), and watches again
// when its watch missed a change. It returns nil once the slot is held.
func (w *waiter) lead(ctx context.Context) error {
	var wch clientv3.WatchChan
	stop := func() {}
	defer func() { stop() }()
	poll := time.NewTicker(w.headPoll())
	defer poll.Stop()
	for {
		if w.bad != nil {
			return w.bad
		}
		if _, ok := w.state.Holder(w.h.ID); ok {
			w.leave(ctx)
			return nil
		}
		if w.canTake() {
			held, err := w.take(ctx)
			if held || err != nil && !errors.Is(err, errRaced) {
				return err
			}
			continue
		}
		if wch == nil {
			// One watch, on the semaphore key and the release requests
			// (and the last-waiter key between them, ignored).
			var gap bool
			var err error
			wch, gap, stop, err = w.watch(ctx, w.headPoll(), w.recheck, w.s.key, clientv3.WithRange(clientv3.GetPrefixRangeEnd(releasesPrefix(w.s.key))))
			if errors.Is(err, errActionable) {
				wch = nil
				continue
			}
			if err != nil {
				return err
			}
			if gap {
				if _, err := w.reread(ctx); err != nil {
					return err
				}
			}
			w.settled()
			continue
		}
		resp, err := w.next(ctx, wch, poll.C)
		if errors.Is(err, errTick) {
			var missed bool
			if missed, err = w.reread(ctx); missed {
				stop()
				wch = nil
			}
		}
		if err != nil {
			return err
		}
		for _, ev := range resp.Events {
			w.apply(ev)
		}
	}
}

// canTake reports whether the head has something to write: a free slot to take, or release
// requests to apply.
func (w *waiter) canTake() bool {
	st, applied, _ := applyReleases(w.state, w.releases)
	return st.Free() > 0 || len(applied) > 0
}

// errActionable is recheck's outcome when the head has something to do.
var errActionable = errors.New("the head has something to do")

// recheck is the head's check while it waits for etcd to confirm its watch (see watch): it
// reads the semaphore and the release requests, and fails with errActionable when the head
// holds its slot, can take one or apply a request, or the value is corrupt.
func (w *waiter) recheck(ctx context.Context) (time.Duration, error) {
	if _, err := w.reread(ctx); err != nil {
		return 0, err
	}
	if _, held := w.state.Holder(w.h.ID); held || w.bad != nil || w.canTake() {
		return 0, errActionable
	}
	return w.headPoll(), nil
}

// headPoll is how often the head reads the semaphore: twice each poll interval, since a slot
// stays free for as long as the head has not seen it freed, and a group has one head.
func (w *waiter) headPoll() time.Duration { return w.s.opts.poll / 2 }

// reread reads the semaphore key and the release requests, and reports whether they differ from
// what the head knew: its watch missed a change.
func (w *waiter) reread(ctx context.Context) (missed bool, err error) {
	resp, err := w.s.poll(ctx, w.s.readOps(false)...)
	if err != nil {
		return false, err
	}
	knownRev, knownReqs := w.state.Revision, w.releases
	w.setState(resp.Header.Revision, resp.Responses[0].GetResponseRange().Kvs)
	w.setReleases(resp.Header.Revision, resp.Responses[1].GetResponseRange().Kvs)
	sameKey := func(a, b releaseRequest) bool { return a.key == b.key }
	return w.state.Revision != knownRev || !slices.EqualFunc(w.releases, knownReqs, sameKey), nil
}

// apply records an event of the head's watch: a new value of the
// semaphore, or a release request put or deleted. Events already reflected
// in the last reads are skipped.
func (w *waiter) apply(ev *clientv3.Event) {
	key, rev := string(ev.Kv.Key), ev.Kv.ModRevision
	switch {
	case key == w.s.key && rev > w.seen:
		var kvs []*mvccpb.KeyValue
		if ev.Type == clientv3.EventTypePut {
			kvs = []*mvccpb.KeyValue{ev.Kv}
		}
		w.setState(rev, kvs)
	case strings.HasPrefix(key, releasesPrefix(w.s.key)) && rev > w.releasesAt:
		w.releases = slices.DeleteFunc(w.releases, func(r releaseRequest) bool { return r.key == key })
		if ev.Type == clientv3.EventTypePut && len(w.releases) < maxReleases {
			w.releases = append(w.releases, parseRequest(ev.Kv))
		}
	}
}

// setReleases records the release requests read at store revision rev.
func (w *waiter) setReleases(rev int64, kvs []*mvccpb.KeyValue) {
	w.releases, w.releasesAt = parseReleases(kvs), rev
}

// take writes, with one compare-and-swap, a value in which the pending
// release requests are applied and the head and the waiters behind it in
// its window hold slots, in arrival order, as many as there are free slots
// (at most maxBatch), and deletes their waiter keys; each of the others
// learns that it holds a slot when the waiter ahead of it leaves. The
// write requires the value to be the one known, every request applied and
// every admitted waiter key to be still there; when slots are left after
// the whole queue as the head read it, also that no waiter came since.
// Waiters whose id holds a slot already are admitted without a new slot,
// and keys whose value is no valid id (not written by this package) are
// deleted without one. take reports whether the head holds its slot (when
// no slot is free, it only applies the requests). It returns errRaced when
// the write lost to another (the value, the window and the requests have
// been read again), errAdmitted or errDequeued when the head's own key is
// gone.
func (w *waiter) take(ctx context.Context) (bool, error) {
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
	if admitted > 0 {
		dels = append(dels, s.forgetLast(w.window[admitted-1].key))
	}
	if free > 0 && w.whole && admitted == len(w.window) {
		// Slots are left after every waiter known: require that no
		// waiter came since (each puts the last-waiter key), or read the
		// window again.
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.last), "<", w.windowAt+1))
	}
	val, err := encodeValue(next)
	if err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	size := w.windowSize()
	c, cancel := wctx(ctx)
	resp, err := s.client.Txn(c).
		If(cmps...).
		Then(append([]clientv3.Op{clientv3.OpPut(s.key, string(val))}, dels...)...).
		Else(clientv3.OpGet(s.key), w.windowOp(size), s.releasesOp()).
		Commit()
	cancel()
	if err != nil {
		return false, fmt.Errorf("take slot: %w", err)
	}
	if resp.Succeeded {
		next.Revision = resp.Header.Revision
		s.remember(snapshot{state: next, seen: next.Revision}) // queue unknown: claim empty, verified later
		if admitted > 0 {
			w.left = true // the write deleted the head's own key
			return true, nil
		}
		w.state, w.seen = next, next.Revision
		w.releases, w.releasesAt = nil, next.Revision
		return false, nil
	}
	w.setState(resp.Header.Revision, resp.Responses[0].GetResponseRange().Kvs)
	w.setReleases(resp.Header.Revision, resp.Responses[2].GetResponseRange().Kvs)
	if err := w.setWindow(resp.Responses[1].GetResponseRange().Kvs, resp.Header.Revision, size); err != nil {
		return false, err
	}
	return false, errRaced
}
