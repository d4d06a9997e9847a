package daemon

import (
	"context"

	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/semaphore/slot"
)

// waitNeeded waits until the update source says a reboot is needed. While
// the machine keeps a slot after failed post-reboot checks, it also
// watches that slot: once it is gone (an operator's locksmithctl unlock,
// or a peer's --lock-ttl), the machine records that it holds none, its
// statuses stop reporting the failure, and the wait goes on.
func (m *Machine) waitNeeded(ctx context.Context) (string, error) {
	if m.slot != slotKept {
		return m.d.Updates.WaitRebootNeeded(ctx)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		why string
		err error
	}
	needed := make(chan result, 1)
	updates := m.d.Updates // the goroutines below get only what they use
	go func() {
		why, err := updates.WaitRebootNeeded(wctx)
		needed <- result{why, err}
	}()
	freed := make(chan error, 1)
	kept := m.holder
	go func() { freed <- m.env.keptSlotFreed(wctx, kept) }()
	select {
	case r := <-needed:
		cancel()
		<-freed
		return r.why, r.err
	case err := <-freed:
		cancel()
		r := <-needed
		if err != nil || ctx.Err() != nil {
			return r.why, r.err
		}
		m.log.Info("the reboot slot kept after the failed post-reboot checks is gone (locksmithctl unlock, or a peer's --lock-ttl); this machine holds none, and the rollout may go on", holderAttr(kept))
		m.healthFailure, m.check = "", nil
		m.released(kept, "the slot kept after the failed post-reboot checks was freed (locksmithctl unlock, or a peer's --lock-ttl)")
		m.setSlot(slotNone, slot.Holder{})
		if r.err == nil { // a reboot became needed at the same moment
			return r.why, nil
		}
		m.enter(StateIdle, "idle: waiting for a reboot to be needed")
		return m.d.Updates.WaitRebootNeeded(ctx)
	}
}

// keptSlotFreed blocks until the semaphore no longer lists the slot h kept
// after failed post-reboot checks, and returns nil; or until ctx ends, and
// returns its cause. It watches the semaphore's key, never polling; failed
// reads (each bounded by ProbeTimeout) and watches are logged at debug
// level and retried with back-off. It is a method of env: Run's state is
// out of its reach.
func (e *env) keptSlotFreed(ctx context.Context, h slot.Holder) error {
	b := backoff{initial: e.cfg.RetryInitial, max: e.cfg.RetryMax}
	var st slot.State
	get := func(ctx context.Context) (err error) {
		st, err = e.d.Lock.Get(ctx)
		return err
	}
	err := e.probe(ctx, get)
	for {
		if err == nil {
			if !e.lists(st, h) {
				return nil
			}
			st, err = e.d.Lock.WaitChange(ctx, st.Revision)
			continue
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		d := b.delay()
		e.log.Debug("cannot watch the kept reboot slot; retrying", "error", err, "retry_in", d)
		if err := clock.Sleep(ctx, e.clock, d); err != nil {
			return err
		}
		err = e.probe(ctx, get)
	}
}
