package daemon

import (
	"context"
	"fmt"

	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/semaphore/slot"
)

// settleLater runs, with strategy reboot, when the start-up work on the
// semaphore could not be done (etcd did not answer): in the background,
// while the machine goes on, it tries again after back-off delays from
// RetryInitial to RetryMax to read the semaphore and give back the slot
// this machine holds, running the post-reboot checks first if the slot is
// from an earlier boot and checked is false. It returns when the slot is
// released, when this machine holds none, when the checks fail (the slot
// is then kept, as it is in the foreground, and that is logged as an
// error) or when ctx ends. Failed tries are logged at debug level: the
// first failure was a warning already. It uses only the Machine's cfg, d,
// clock and log, never the state of Run's goroutine.
func (m *Machine) settleLater(ctx context.Context, checked bool) {
	b := backoff{initial: m.cfg.RetryInitial, max: m.cfg.RetryMax}
	d := b.delay()
	for clock.Sleep(ctx, m.clock, d) == nil {
		err := m.settle(ctx, &checked)
		if err == nil || ctx.Err() != nil {
			return
		}
		d = b.delay()
		m.log.Debug("strategy reboot: still cannot give back the reboot slot; retrying", "error", err, "retry_in", d)
	}
}

// settle makes one try of settleLater; nil means there is nothing left to
// do. It sets *checked once the checks have passed.
func (m *Machine) settle(ctx context.Context, checked *bool) error {
	var st slot.State
	if err := m.probe(ctx, func(ctx context.Context) (err error) { st, err = m.d.Lock.Get(ctx); return err }); err != nil {
		return err
	}
	h, held := st.Holder(m.cfg.MachineID)
	if !held {
		m.log.Info("strategy reboot: etcd answers again; this machine holds no reboot slot")
		return nil
	}
	if !*checked && h.BootID != m.cfg.BootID {
		m.log.Info("strategy reboot: etcd answers again; this machine rebooted while holding a slot, running the post-reboot checks before releasing it", holderAttr(h))
		if err := m.postRebootChecks(ctx, func(status string) { m.log.Info(status) }); err != nil {
			if ctx.Err() == nil {
				m.log.Error(m.keepMessage(err), holderAttr(h))
			}
			return nil
		}
		*checked = true
	}
	why := "strategy reboot does not use it"
	if h.BootID != m.cfg.BootID {
		why = "post-reboot checks passed"
	}
	if err := m.giveBack(ctx, h, why); err != nil {
		return fmt.Errorf("release the reboot slot: %w", err)
	}
	return nil
}
