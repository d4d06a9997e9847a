package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/semaphore/slot"
	"locksmith.dev/locksmith/strategy"
)

// takeSlot takes a slot of the semaphore with strategy etcd-lock (a slot
// kept from before the reboot is reused as it is). With LockTTL, stale
// holders are removed while it waits.
func (m *Machine) takeSlot(ctx context.Context, reason string) error {
	if m.cfg.Strategy != strategy.EtcdLock || m.slot == slotKept {
		return nil
	}
	group := slot.GroupName(m.cfg.Group)
	m.enter(StateWaitingSlot, "waiting for a reboot slot in "+group)
	m.record(history.Event{Kind: history.WaitingForSlot})
	began := m.clock.Now()
	// AcquiredAt stays zero: the semaphore stamps it when the slot is
	// taken, not when the wait began, or a node that waited longer than
	// another's LockTTL would look stale the moment it got its slot.
	h := slot.Holder{
		ID:        m.cfg.MachineID,
		Hostname:  m.cfg.Hostname,
		BootID:    m.cfg.BootID,
		Reason:    reason,
		OSVersion: m.cfg.OSVersion,
	}
	actx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if m.cfg.LockTTL > 0 {
		wg.Go(func() { m.env.removeStale(actx) })
	}
	err := m.env.acquire(actx, h)
	cancel()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("take a reboot slot: %w", err)
	}
	h.AcquiredAt = m.clock.Now()
	m.record(history.Event{Kind: history.SlotTaken, WaitSeconds: h.AcquiredAt.Sub(began).Seconds()})
	m.setSlot(slotForReboot, h)
	m.enter(StateSlotTaken, "reboot slot taken in "+group)
	return nil
}

// Bounds of the retries of a failed wait for a slot (see acquire), and, with strategy
// etcd-lock, of the start-up steps on etcd (see Machine.persist).
const (
	EtcdRetryInitial = 100 * time.Millisecond
	EtcdRetryMax     = 2 * time.Second
)

// acquire waits for a slot with Lock.Acquire, and waits again when a wait fails (etcd did not
// answer, or lost the wait's lease): at once the first time, then after delays doubling from
// EtcdRetryInitial to EtcdRetryMax, so that a waiter is back in the queue within
// EtcdRetryMax of etcd answering again (the attempt's back-off would take RetryInitial, and
// send it to the back of the queue later). The first failure of a run of them is logged as a
// warning, the others at debug level. A corrupt value, an invalid id and ctx's end are returned.
func (e *env) acquire(ctx context.Context, h slot.Holder) error {
	b := backoff{initial: EtcdRetryInitial, max: EtcdRetryMax}
	for failures := 0; ; failures++ {
		err := e.d.Lock.Acquire(ctx, h)
		if err == nil || ctx.Err() != nil || errors.Is(err, slot.ErrCorrupt) || errors.Is(err, slot.ErrInvalidID) ||
			errors.Is(err, slot.ErrClosed) {
			return err
		}
		d, level := time.Duration(0), slog.LevelWarn
		if failures > 0 {
			d, level = b.delay(), slog.LevelDebug
		}
		e.log.Log(ctx, level, "waiting for a reboot slot failed; waiting again", "error", err, "retry_in", d)
		if err := clock.Sleep(ctx, e.clock, d); err != nil {
			return err
		}
	}
}

// removeStale runs while takeSlot waits, until ctx ends. Whenever the
// semaphore is full (of others: once this machine holds a slot, nothing is
// removed) and its oldest holder (by AcquiredAt; holders without
// that fact never count) is older than LockTTL, it removes one holder with
// RemoveStale and logs its facts. It waits on a clock timer set to the
// moment the oldest holder turns stale and on changes of the semaphore,
// never polling. Errors are logged and retried with back-off; so is a
// RemoveStale that finds no stale holder after all. The Lock's notion of
// age must use the same clock as the Machine. It is a method of env: Run's
// state is out of its reach.
func (e *env) removeStale(ctx context.Context) {
	b := backoff{initial: e.cfg.RetryInitial, max: e.cfg.RetryMax}
	var st slot.State
	var err error
	fresh := false // whether st is current
	for ctx.Err() == nil {
		if !fresh {
			st, err = e.d.Lock.Get(ctx)
		}
		fresh = false
		if err == nil {
			st, fresh, err = e.staleStep(ctx, st)
		}
		if err != nil && ctx.Err() == nil {
			d := b.delay()
			level := slog.LevelWarn
			if errors.Is(err, slot.ErrNoStaleHolder) {
				level = slog.LevelDebug // a holder left, or clocks disagree: look again later
			}
			e.log.Log(ctx, level, "stale-slot check failed; retrying", "error", err, "retry_in", d)
			if clock.Sleep(ctx, e.clock, d) != nil {
				return
			}
		}
	}
}

// staleStep acts on st once: it removes a stale holder if one is due, or
// waits until one is due or the semaphore changes. It returns the new state
// and fresh true when the wait saw a change, fresh false when the caller
// should read the semaphore again.
func (e *env) staleStep(ctx context.Context, st slot.State) (slot.State, bool, error) {
	oldest, ok := oldestHolder(st, e.cfg.MachineID)
	if _, mine := st.Holder(e.cfg.MachineID); mine || st.Free() > 0 || !ok {
		st, err := e.d.Lock.WaitChange(ctx, st.Revision)
		return st, err == nil, err
	}
	// RemoveStale wants an age above the TTL, hence the nanosecond.
	if due := oldest.AcquiredAt.Add(e.cfg.LockTTL + time.Nanosecond).Sub(e.clock.Now()); due > 0 {
		wctx, cancel := clock.WithTimeout(ctx, e.clock, due)
		defer cancel()
		next, err := e.d.Lock.WaitChange(wctx, st.Revision)
		if err == nil {
			return next, true, nil
		}
		if ctx.Err() != nil || !errors.Is(context.Cause(wctx), context.DeadlineExceeded) {
			return st, false, err
		}
		// The oldest holder has turned stale: fall through.
	}
	reason := fmt.Sprintf("held longer than the lock TTL %s while %s waited for a slot", e.cfg.LockTTL, e.cfg.MachineID)
	removed, err := e.d.Lock.RemoveStale(ctx, e.cfg.LockTTL, e.cfg.MachineID, reason)
	if err != nil {
		return st, false, fmt.Errorf("remove a stale slot holder: %w", err)
	}
	age := e.clock.Now().Sub(removed.AcquiredAt).Round(time.Second)
	e.log.Warn("removed a stale reboot slot holder", holderAttr(removed), "age", age, "lock_ttl", e.cfg.LockTTL)
	e.record(history.Event{Kind: history.StaleRemoved, Holder: removed.ID, By: e.cfg.MachineID, Reason: reason})
	return st, false, nil
}

// oldestHolder returns the holder of st, other than self, that took its
// slot first among those that recorded when.
func oldestHolder(st slot.State, self string) (slot.Holder, bool) {
	var oldest slot.Holder
	found := false
	for _, h := range st.Holders {
		if h.ID == self || h.AcquiredAt.IsZero() {
			continue
		}
		if !found || h.AcquiredAt.Before(oldest.AcquiredAt) {
			oldest, found = h, true
		}
	}
	return oldest, found
}
