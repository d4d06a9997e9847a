package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/semaphore/slot"
	"locksmith.dev/locksmith/strategy"
)

// afterBoot handles a slot this machine holds at start (step 1 of the life
// cycle). It returns nil when done, or ctx's cause if ctx ended.
func (m *Machine) afterBoot(ctx context.Context) error {
	if m.d.Lock == nil {
		return nil
	}
	var st slot.State
	err := m.persist(ctx, "read the semaphore", func(ctx context.Context) (err error) {
		st, err = m.d.Lock.Get(ctx)
		return err
	})
	if err != nil {
		return m.skipped(ctx, "check etcd for a slot held by this machine", err, false)
	}
	h, held := st.Holder(m.cfg.MachineID)
	switch {
	case !held:
		m.log.Debug("this machine holds no reboot slot")
		return nil
	case h.BootID == m.cfg.BootID && m.cfg.Strategy == strategy.EtcdLock:
		m.log.Info("this machine holds a slot taken in this boot for a reboot that has not happened yet; carrying on to the reboot", holderAttr(h))
		m.setSlot(slotForReboot, h)
		return nil
	case h.BootID == m.cfg.BootID:
		m.log.Info("this machine holds a slot taken in this boot; its strategy does not use it", "strategy", m.cfg.Strategy, holderAttr(h))
		return m.releaseAtStart(ctx, h, "strategy "+string(m.cfg.Strategy)+" does not use the slot")
	}
	m.log.Info("this machine rebooted while holding a slot; running the post-reboot checks before releasing it", holderAttr(h))
	m.setSlot(slotKept, h)
	m.record(history.Event{Kind: history.Booted, BootID: m.cfg.BootID, OSVersion: m.cfg.OSVersion})
	if err := m.verifyBoot(ctx, h); err != nil {
		m.keepAfterFailure(ctx, err, h, "")
		return nil
	}
	rounds, err := m.postRebootChecks(ctx, func(round int, failed *CheckError, status string) {
		if failed != nil {
			m.checkFailed(round, failed)
			m.enterRetry(StateCheckingHealth, status)
		} else {
			m.enter(StateCheckingHealth, status)
		}
	})
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		ce, _ := errors.AsType[*CheckError](err)
		m.checkFailed(rounds, ce)
		m.record(history.Event{Kind: history.ChecksFailed, Command: m.check.Command, Error: err.Error(), Tries: rounds})
		m.keepAfterFailure(ctx, err, h, "post-reboot checks failed: ")
		return nil
	}
	m.check = nil
	if rounds > 0 {
		m.record(history.Event{Kind: history.ChecksPassed, Tries: rounds})
	}
	return m.releaseAtStart(ctx, h, "post-reboot checks passed")
}

// keepAfterFailure keeps the slot h after the reboot failed with err (unverified, or its checks
// failed): it logs so, counts the failure against the budget (its first line, after prefix) and
// enters StateHealthFailed, whose status every later one starts with.
func (m *Machine) keepAfterFailure(ctx context.Context, err error, h slot.Holder, prefix string) {
	m.keptAfterFailedChecks(err, h)
	m.healthFailure, _, _ = strings.Cut(err.Error(), "\n")
	m.countFailure(ctx, prefix+m.healthFailure)
	m.enter(StateHealthFailed, m.keepMessage(err))
}

// checkFailed records that round of the post-reboot checks failed with ce, for the events.
func (m *Machine) checkFailed(round int, ce *CheckError) {
	f := CheckFailure{Since: m.clock.Now(), Rounds: round}
	if m.check != nil {
		f.Since = m.check.Since
	}
	if ce != nil {
		f.Command, f.Error = ce.Command, ce.Err.Error()
	}
	m.check = &f
}

// keepMessage says that the post-reboot checks failed with err and that
// the slot is kept, for the status.
func (e *env) keepMessage(err error) string {
	return fmt.Sprintf("post-reboot checks failed: %v; KEEPING the reboot slot so that the rollout halts (fix this node, then run: locksmithctl unlock %s)", err, e.cfg.MachineID)
}

// keptAfterFailedChecks logs that the post-reboot checks failed with err and that the slot h is
// kept.
func (e *env) keptAfterFailedChecks(err error, h slot.Holder) {
	e.log.Error("post-reboot checks failed; KEEPING the reboot slot so that the rollout halts (fix this node, then run the unlock command)",
		"error", err, "unlock", "locksmithctl unlock "+e.cfg.MachineID, holderAttr(h))
}

// releaseAtStart releases the slot h found at start, with the retries of persist, and records
// that the machine holds none. If the release does not succeed, skipped decides what follows.
func (m *Machine) releaseAtStart(ctx context.Context, h slot.Holder, why string) error {
	m.setSlot(slotForReboot, h)
	err := m.persist(ctx, "release the reboot slot", func(ctx context.Context) error {
		return m.releaseSlot(context.WithoutCancel(ctx), h, why)
	})
	if err != nil {
		return m.skipped(ctx, "release the reboot slot", err, true)
	}
	m.setSlot(slotNone, slot.Holder{})
	m.unsilence(ctx)
	return nil
}

// OffRetryTimeout bounds how long a machine of strategy off retries, at
// start, to read the semaphore and to release a slot it holds, before it
// gives up (loudly) and Run returns.
const OffRetryTimeout = 5 * time.Minute

// persist runs op, which talks to etcd, with a context bounded by
// ProbeTimeout, and retries it: with strategy etcd-lock until it succeeds or
// ctx ends (the daemon cannot go on without etcd), after delays doubling
// from EtcdRetryInitial to EtcdRetryMax, as the wait for a slot does, so
// that a node back from its reboot gives its slot back within EtcdRetryMax
// of etcd answering again, however long etcd was away (RetryInitial and
// RetryMax would space the tries up to ten minutes apart while the slot
// blocks the group); with strategy off, after delays from RetryInitial to
// RetryMax, until OffRetryTimeout has passed (the last try starts then at
// the latest). With strategy reboot it tries once: the retries run in the
// background (see env.releaseInBackground).
func (m *Machine) persist(ctx context.Context, what string, op func(context.Context) error) error {
	b := backoff{initial: m.cfg.RetryInitial, max: m.cfg.RetryMax}
	if m.cfg.Strategy == strategy.EtcdLock {
		b = backoff{initial: EtcdRetryInitial, max: EtcdRetryMax}
	}
	deadline := m.clock.Now().Add(OffRetryTimeout)
	for {
		err := m.probe(ctx, op)
		if err == nil || ctx.Err() != nil || m.cfg.Strategy == strategy.Reboot {
			return err
		}
		d := b.delay()
		if m.cfg.Strategy == strategy.Off {
			left := deadline.Sub(m.clock.Now())
			if left <= 0 {
				return err
			}
			d = min(d, left)
		}
		m.enterRetry(StateStarting, fmt.Sprintf("cannot %s, retrying in %s: %v", what, d, err))
		if err := clock.Sleep(ctx, m.clock, d); err != nil {
			return err
		}
	}
}

// probe runs op with a context bounded by ProbeTimeout.
func (e *env) probe(ctx context.Context, op func(context.Context) error) error {
	pctx, cancel := clock.WithTimeout(ctx, e.clock, e.cfg.ProbeTimeout)
	defer cancel()
	return op(pctx)
}

// skipped handles a start-up step that failed for good (with strategies
// reboot and off; etcd-lock retries until ctx ends): ctx's end is
// returned; otherwise the machine goes on. Strategy off gives up with an
// error in the log naming the command that frees the slot; strategy reboot
// warns and hands the work over to env.releaseInBackground, checked telling whether the
// post-reboot checks have passed already.
func (m *Machine) skipped(ctx context.Context, what string, err error, checked bool) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	unlock := "locksmithctl unlock " + m.cfg.MachineID
	if m.cfg.Strategy == strategy.Off {
		m.log.Error("strategy off: cannot reach etcd at start; gave up (if this machine holds a reboot slot, free it with the unlock command)",
			"step", what, "gave_up_after", OffRetryTimeout, "unlock", unlock, "error", err)
		m.setSlot(slotNone, slot.Holder{}) // given up: no last try at stop
		return nil
	}
	m.log.Warn("strategy reboot: cannot reach etcd at start; retrying in the background while the daemon goes on (if this machine holds a slot and it stays taken, free it with the unlock command)",
		"step", what, "unlock", unlock, "error", err)
	m.setSlot(slotNone, slot.Holder{}) // the background owns it now
	m.background.Go(func() { m.releaseInBackground(ctx, checked) })
	return nil
}
