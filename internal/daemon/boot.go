package daemon

import (
	"context"
	"fmt"
	"strings"

	"github.com/flatcar/locksmith/internal/clock"
	"github.com/flatcar/locksmith/semaphore"
	"github.com/flatcar/locksmith/strategy"
)

// afterBoot handles a slot this machine holds at start (step 1 of the life
// cycle). It returns nil when done, or ctx's cause if ctx ended.
func (m *Machine) afterBoot(ctx context.Context) error {
	if m.d.Lock == nil {
		return nil
	}
	var st semaphore.State
	err := m.persist(ctx, "read the semaphore", func(ctx context.Context) (err error) {
		st, err = m.d.Lock.Get(ctx)
		return err
	})
	if err != nil {
		return m.skipped(ctx, "check etcd for a slot held by this machine", err)
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
		m.log.Info("this machine holds a slot taken in this boot; strategy "+string(m.cfg.Strategy)+" does not use it", holderAttr(h))
		m.setSlot(slotForReboot, h)
		return m.releaseAfterBoot(ctx, "strategy "+string(m.cfg.Strategy)+" does not use the slot")
	}
	m.log.Info("this machine rebooted while holding a slot; running the post-reboot checks before releasing it", holderAttr(h))
	m.setSlot(slotKept, h)
	if err := m.postRebootChecks(ctx); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		msg := fmt.Sprintf("post-reboot checks failed: %v; KEEPING the reboot slot so that the rollout halts (fix this node, then run: locksmithctl unlock %s)", err, m.cfg.MachineID)
		m.log.Error(msg, holderAttr(h))
		m.healthFailure, _, _ = strings.Cut(err.Error(), "\n")
		m.enter(StateHealthFailed, msg)
		return nil
	}
	m.setSlot(slotForReboot, h)
	return m.releaseAfterBoot(ctx, "post-reboot checks passed")
}

// releaseAfterBoot releases the slot found at start: retried until it
// works with strategy etcd-lock, tried once (bounded) otherwise.
func (m *Machine) releaseAfterBoot(ctx context.Context, why string) error {
	err := m.persist(ctx, "release the reboot slot", func(ctx context.Context) error { return m.releaseSlot(ctx, why) })
	if err != nil {
		return m.skipped(ctx, "release the reboot slot", err)
	}
	return nil
}

// persist runs op, which talks to etcd, with a context bounded by
// ProbeTimeout. With strategy etcd-lock it retries with back-off until op
// succeeds or ctx ends (the daemon cannot go on without etcd); with the
// other strategies it tries once.
func (m *Machine) persist(ctx context.Context, what string, op func(context.Context) error) error {
	b := backoff{initial: m.cfg.RetryInitial, max: m.cfg.RetryMax}
	for {
		octx, cancel := clock.WithTimeout(ctx, m.clock, m.cfg.ProbeTimeout)
		err := op(octx)
		cancel()
		if err == nil || m.cfg.Strategy != strategy.EtcdLock || ctx.Err() != nil {
			return err
		}
		d := b.delay()
		m.log.Warn("cannot "+what+"; retrying", "error", err, "retry_in", d)
		m.enter(StateStarting, fmt.Sprintf("cannot %s, retrying in %s: %v", what, d, err))
		if err := clock.Sleep(ctx, m.clock, d); err != nil {
			return err
		}
	}
}

// skipped handles a failed start-up step: ctx's end is returned; with
// strategies reboot and off, where etcd is optional, the failure is a
// warning and the machine goes on.
func (m *Machine) skipped(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	m.log.Warn(fmt.Sprintf("strategy %s: cannot %s; going on without (if this machine holds a slot, free it with: locksmithctl unlock %s)",
		m.cfg.Strategy, what, m.cfg.MachineID), "error", err)
	return nil
}
