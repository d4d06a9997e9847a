package semaphore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Acquire takes a slot for h, waiting as long as it takes. It returns nil
// when h.ID holds a slot: at once if it was a holder already (its facts
// are then left as they were), otherwise once h was added with AcquiredAt
// set, when zero, from the clock of the Semaphore that admitted it. A
// newcomer takes a free slot at once only when no queued waiter is
// entitled to it and no other write wins the race for it; otherwise it
// joins the queue and is served first come, first served (see the package
// documentation).
//
// When ctx ends first, Acquire leaves the queue and returns an error
// wrapping ctx.Err(); when the Semaphore is closed, one wrapping ErrClosed.
// (If the waiter was admitted before it could leave, Acquire returns nil:
// the slot is held.) Other errors: ErrInvalidID, a *CorruptError (also
// when the value becomes corrupt while Acquire is first in the queue), or
// the error of etcd. After an error, h holds no slot taken by this call
// (unless etcd did not answer the write that takes it; see the package
// documentation).
func (s *Semaphore) Acquire(ctx context.Context, h Holder) error {
	err := s.tryAcquire(ctx, h, true)
	if errors.Is(err, ErrFull) || errors.Is(err, errRaced) {
		err = s.wait(ctx, h)
	}
	if err != nil {
		return s.explain(ctx, fmt.Errorf("acquire %s for %q: %w", s.key, h.ID, err))
	}
	return nil
}

// Internal outcomes of a waiter.
var (
	errDequeued = errors.New("waiter key or lease lost")        // enqueue again
	errRelocate = errors.New("predecessor left or watch ended") // read the queue again
	errAdmitted = errors.New("admitted by the head")            // the slot is held
)

// wait queues h and blocks until it holds a slot, ctx ends or s is closed.
// Each time it queues, with a lease of its own, which ends with that time
// in the queue (see waiter.end). A waiter that lost its key or its lease
// queues again.
func (s *Semaphore) wait(ctx context.Context, h Holder) error {
	for {
		w, err := s.enqueue(ctx, h)
		if err != nil {
			return err
		}
		err = w.run(ctx)
		w.end()
		if !errors.Is(err, errDequeued) {
			return err
		}
	}
}

// waiter is one queued Acquire call. The first waiter of the queue, the
// head, follows the semaphore key and, as soon as slots are free, admits
// itself and the waiters behind it; every other waiter follows only the
// deletion of the waiter just ahead of it. A release thus wakes one
// waiter, however long the queue.
type waiter struct {
	s     *Semaphore
	h     Holder
	lease *waitLease
	key   string // own waiter key
	rev   int64  // create revision of key
	// left reports that a committed write deleted key, and with it the
	// last-waiter key if that named key: nothing is bound to the lease.
	left bool
	// pred is the key of the waiter ahead as last read ("" when it leads
	// or its place is unknown); unsure when it was read from the
	// last-waiter key, which may name a waiter that has left.
	pred   string
	unsure bool
	// window is, while the waiter leads, the start of the queue as read
	// at store revision windowAt (see windowOp), this waiter's key first;
	// whole when it was the whole queue then. releases are the pending
	// release requests read with it.
	window     []queued
	windowAt   int64
	whole      bool
	releases   []releaseRequest
	releasesAt int64 // store revision at which releases were read
	// unconfirmed counts the watches in a row that etcd did not confirm in time.
	unconfirmed int
	// The semaphore's value as last known, at store revision seen.
	state State
	bad   *CorruptError // set when that value is corrupt
	seen  int64
}

// enqueue grants the lease of a new wait and puts a waiter key for h bound
// to it; in the same transaction it reads the semaphore, counts the queue
// and reads the last-waiter key: the waiter just ahead, unless it has left
// the queue since (follow checks).
func (s *Semaphore) enqueue(ctx context.Context, h Holder) (*waiter, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l, err := s.grantLease(ctx, h)
		if err != nil {
			if s.again(ctx, err) {
				continue
			}
			return nil, err
		}
		w := &waiter{s: s, h: h, lease: l, key: l.key}
		c, cancel := wctx(ctx)
		// Not retried at once on a transient error (see commit): an enqueue that was applied
		// after all would read its own key as the last waiter's.
		resp, err := s.client.Txn(c).Then(
			clientv3.OpGet(s.last),
			clientv3.OpPut(w.key, h.ID, clientv3.WithLease(l.id)),
			clientv3.OpPut(s.last, w.key, clientv3.WithLease(l.id)),
			clientv3.OpGet(s.key),
			clientv3.OpGet(s.queue, clientv3.WithPrefix(), clientv3.WithCountOnly()),
		).Commit()
		cancel()
		switch {
		case errors.Is(err, rpctypes.ErrLeaseNotFound): // expired before it was used
			_ = s.endLease(l, false)
			continue
		case err != nil: // the keys may have been put all the same
			_ = s.endLease(l, true)
			if s.again(ctx, err) {
				continue
			}
			return nil, fmt.Errorf("enqueue: %w", err)
		}
		w.rev = resp.Header.Revision
		w.setState(w.rev, resp.Responses[3].GetResponseRange().Kvs)
		last := resp.Responses[0].GetResponseRange().Kvs
		position := resp.Responses[4].GetResponseRange().Count
		if s.opts.queued != nil {
			s.opts.queued(h.ID, int(position))
		}
		switch {
		case position == 1:
			w.window, w.windowAt, w.whole = []queued{{key: w.key, rev: w.rev, h: h}}, w.rev, true
		case len(last) == 1:
			w.pred, w.unsure = string(last[0].Value), true
		}
		return w, nil
	}
}

// locate finds the waiter's place, after the waiter ahead left, a watch
// ended or when enqueue could not tell: it finds the waiter now ahead or,
// when there is none, the window. It fails with gone's error when the
// waiter's key is gone.
func (w *waiter) locate(ctx context.Context) error {
	s := w.s
	size := w.windowSize()
	resp, err := s.commit(ctx,
		[]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(w.key), "=", w.rev)},
		[]clientv3.Op{clientv3.OpGet(s.key), clientv3.OpTxn(
			// No waiter key older than this one: it leads.
			[]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(s.queue), ">", w.rev-1).WithPrefix()},
			[]clientv3.Op{w.windowOp(size), s.releasesOp()},
			[]clientv3.Op{clientv3.OpGet(s.queue, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(1),
				clientv3.WithMaxCreateRev(w.rev-1), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortDescend))},
		)},
		[]clientv3.Op{clientv3.OpGet(s.key)})
	if err != nil {
		return fmt.Errorf("read queue: %w", err)
	}
	w.setState(resp.Header.Revision, resp.Responses[0].GetResponseRange().Kvs)
	if !resp.Succeeded {
		return w.gone()
	}
	place := resp.Responses[1].GetResponseTxn()
	if place.Succeeded {
		w.setReleases(resp.Header.Revision, place.Responses[1].GetResponseRange().Kvs)
		return w.setWindow(place.Responses[0].GetResponseRange().Kvs, resp.Header.Revision, size)
	}
	ahead := place.Responses[0].GetResponseRange().Kvs
	if len(ahead) == 0 { // cannot be: the compare found an older key
		return fmt.Errorf("read queue: no waiter ahead of %s, yet it does not lead", w.key)
	}
	w.pred, w.unsure, w.window = string(ahead[0].Key), false, nil
	return nil
}

// windowSize is the number of waiter keys the head reads: as many as
// there are slots (at most maxBatch), enough to fill every slot that can
// become free.
func (w *waiter) windowSize() int { return min(maxBatch, max(1, w.state.Max)) }

// windowOp reads the first size waiter keys, in arrival order.
func (w *waiter) windowOp(size int) clientv3.Op {
	return clientv3.OpGet(w.s.queue, clientv3.WithPrefix(), clientv3.WithLimit(int64(size)),
		clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
}

// setWindow records the window read by windowOp(size) at store revision
// rev, when this waiter leads: its own key must come first; when it is not
// there, it fails with gone's error.
func (w *waiter) setWindow(kvs []*mvccpb.KeyValue, rev int64, size int) error {
	if len(kvs) == 0 || string(kvs[0].Key) != w.key {
		w.window = nil
		return w.gone()
	}
	w.window = w.window[:0]
	for _, kv := range kvs {
		w.window = append(w.window, parseQueued(kv))
	}
	w.window[0].h = w.h
	w.windowAt, w.whole, w.pred = rev, len(kvs) < size, ""
	return nil
}

// gone is the outcome of a waiter whose key has left the queue, as of the
// value last read: errAdmitted when its id holds a slot (the head admitted
// it, and deleted its key in the same write), errDequeued otherwise.
func (w *waiter) gone() error {
	if _, held := w.state.Holder(w.h.ID); held && w.bad == nil {
		w.left = true
		return errAdmitted
	}
	return errDequeued
}

// end ends the waiter's lease: it stops the keep-alive and, unless a
// committed write is known to have deleted the waiter key (w.left), also
// revokes the lease, so that a key whose deletion failed or is unknown
// leaves the queue at once, or, if the revocation fails too, when the
// lease expires, as nobody keeps it alive any more.
func (w *waiter) end() { _ = w.s.endLease(w.lease, !w.left) }

// run waits, as head or behind the waiter ahead, until the waiter holds a
// slot. It leaves the queue on any other outcome, unless it turns out to
// have been admitted meanwhile.
func (w *waiter) run(ctx context.Context) error {
	for {
		err := errRelocate // place unknown
		switch {
		case w.window != nil:
			err = w.lead(ctx)
		case w.pred != "":
			err = w.follow(ctx)
		}
		if errors.Is(err, errRelocate) {
			if err = w.locate(ctx); err == nil {
				continue
			}
		}
		if w.s.again(ctx, err) {
			// The key stays bound to the lease, which the keep-alive renews as soon as etcd
			// answers: an outage of etcd does not send the waiter to the back of the queue.
			w.window, w.pred = nil, "" // place unknown: locate
			continue
		}
		switch {
		case errors.Is(err, errAdmitted):
			return nil
		case err != nil && w.leave(ctx): // also after errDequeued: the lease may not have expired yet
			return nil
		}
		return err
	}
}

// follow waits until the waiter ahead leaves the queue. It returns
// errRelocate then, or when the watch ended. It also reads whether the
// waiter ahead is still there: every poll interval (see pollInterval) while
// it is among the first of the queue, less often further back (see
// followPoll). The first read comes half a poll interval after it starts,
// before it knows its place: it may be right behind the head by now.
func (w *waiter) follow(ctx context.Context) error {
	every := w.s.opts.poll / 2
	wch, gap, stop, err := w.watch(ctx, every, w.predLeft, w.pred, clientv3.WithFilterPut())
	defer stop()
	if err == nil && (gap || w.unsure) {
		w.unsure = false
		every, err = w.predLeft(ctx)
	}
	if err == nil {
		w.settled()
	}
	poll := time.NewTimer(every)
	defer poll.Stop()
	for err == nil {
		var resp clientv3.WatchResponse
		switch resp, err = w.next(ctx, wch, poll.C); {
		case errors.Is(err, errTick):
			if every, err = w.predLeft(ctx); err == nil {
				poll.Reset(every)
			}
		case err == nil && len(resp.Events) > 0:
			err = errRelocate
		}
	}
	return err
}

// predLeft reads whether the waiter ahead is still in the queue, and how many waiters are
// ahead: it returns errRelocate when the one just ahead has left, otherwise the time until the
// next such read (see followPoll).
func (w *waiter) predLeft(ctx context.Context) (time.Duration, error) {
	resp, err := w.s.poll(ctx, clientv3.OpGet(w.pred, clientv3.WithCountOnly()),
		clientv3.OpGet(w.s.queue, clientv3.WithPrefix(), clientv3.WithCountOnly(), clientv3.WithMaxCreateRev(w.rev-1)))
	switch {
	case err != nil:
		return 0, err
	case resp.Responses[0].GetResponseRange().Count == 0:
		return 0, errRelocate
	}
	return followPoll(w.s.opts.poll, resp.Responses[1].GetResponseRange().Count, w.windowSize()), nil
}

// followPoll returns how long a waiter with ahead waiters ahead of it waits before it reads its
// place again: half a poll right behind the head (it leads next, and a slot stays free until it
// has seen the head leave), a poll while it could be admitted by the next write of the head
// (ahead <= window, the head's window), else poll times the number of windows ahead of it, at
// most maxFollowPoll. A waiter far back thus reads about ln(ahead) × reboot time / poll times in
// all, not once per poll; its watch is all it needs while nobody ahead of it can be admitted.
func followPoll(poll time.Duration, ahead int64, window int) time.Duration {
	if ahead == 1 { // right behind the head: the next head, or admitted with it
		return poll / 2
	}
	return min(maxFollowPoll, poll*time.Duration(max(1, ahead/int64(max(1, window)))))
}

// watch watches key (with opts) from the current revision and waits until
// etcd confirms the watch. A watch from a past revision could instead wait
// up to 100 ms for etcd to catch it up; gap reports that the store changed
// since the waiter's last read, which the caller then reads again. A watch
// that etcd does not confirm in time (see confirmTimeout) is cancelled: it
// fails with errRelocate. While it waits, the waiter does not go blind: it runs
// check after every, and then after the time check returns, until check fails
// (the watch is then cancelled, and watch returns check's error).
func (w *waiter) watch(ctx context.Context, every time.Duration, check func(context.Context) (time.Duration, error),
	key string, opts ...clientv3.OpOption) (wch clientv3.WatchChan, gap bool, stop context.CancelFunc, err error) {
	wc, stop := context.WithCancel(clientv3.WithRequireLeader(ctx))
	// Both timers wake next; the confirmation timer also cancels the watch, which tells them
	// apart. A wake-up already pending is enough.
	wake := make(chan time.Time, 1)
	ring := func() {
		select {
		case wake <- time.Now():
		default:
		}
	}
	unconfirmed := time.AfterFunc(w.s.opts.confirm<<min(w.unconfirmed, 2), func() {
		stop()
		ring()
	})
	defer unconfirmed.Stop()
	poll := time.AfterFunc(every, ring)
	defer poll.Stop()
	wch = w.s.watchAsync(wc, key, append(opts, clientv3.WithCreatedNotify())...)
	if w.s.opts.wrapWatch != nil {
		wch = w.s.opts.wrapWatch(wch)
	}
	for {
		resp, err := w.next(ctx, wch, wake)
		switch {
		case errors.Is(err, errTick) && wc.Err() == nil: // a check is due
			after, err := check(ctx)
			if err != nil {
				stop()
				return wch, false, stop, err
			}
			poll.Reset(after)
			continue
		case errors.Is(err, errTick) || wc.Err() != nil && ctx.Err() == nil:
			w.unconfirmed++ // cancelled by the timer: not confirmed in time
			return wch, false, stop, errRelocate
		case err == nil && !resp.Created:
			return wch, false, stop, errRelocate // not what etcd sends first
		case err == nil:
			w.unconfirmed = 0
		}
		return wch, resp.Header.Revision > w.seen, stop, err
	}
}

// errTick is the outcome of next when its timer fired first.
var errTick = errors.New("timer fired")

// next returns the next watch response with events or the notice that the
// watch was created. It fails with ctx.Err() when ctx ends, ErrClosed when
// the Semaphore is closed, errDequeued when the waiter's lease is lost,
// errRelocate when the watch ended (cancelled, compacted, or no leader),
// and errTick when tick fires first.
func (w *waiter) next(ctx context.Context, wch clientv3.WatchChan, tick <-chan time.Time) (clientv3.WatchResponse, error) {
	for {
		select {
		case <-ctx.Done():
			return clientv3.WatchResponse{}, ctx.Err()
		case <-w.s.closing.Done():
			return clientv3.WatchResponse{}, ErrClosed
		case <-w.lease.lost:
			return clientv3.WatchResponse{}, errDequeued
		case <-tick:
			return clientv3.WatchResponse{}, errTick
		case resp, ok := <-wch:
			switch {
			case !ok || resp.Canceled || resp.Err() != nil:
				if err := ctx.Err(); err != nil {
					return resp, err
				}
				return resp, errRelocate
			case resp.Created:
				return resp, nil
			case len(resp.Events) > 0:
				return resp, nil
			}
		}
	}
}

// settled runs the test hook, if any, once the waiter waits for an event
// with its watch confirmed and the gap since its last read checked.
func (w *waiter) settled() {
	if w.s.opts.settled != nil {
		w.s.opts.settled()
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

// leave deletes the waiter key, even when ctx has ended, unless it is
// gone already. It reports whether it was gone and the id holds a slot:
// the head admitted the waiter before it could leave. If the delete fails,
// the key goes with the lease (see end).
func (w *waiter) leave(ctx context.Context) bool {
	c, cancel := wctx(ctx)
	defer cancel()
	resp, err := w.s.client.Txn(c).
		If(clientv3.Compare(clientv3.CreateRevision(w.key), "=", w.rev)).
		Then(clientv3.OpDelete(w.key), w.s.forgetLast(w.key)).
		Else(clientv3.OpGet(w.s.key)).
		Commit()
	if err != nil {
		return false
	}
	if resp.Succeeded {
		w.left = true
		return false
	}
	w.setState(resp.Header.Revision, resp.Responses[0].GetResponseRange().Kvs)
	return errors.Is(w.gone(), errAdmitted)
}
