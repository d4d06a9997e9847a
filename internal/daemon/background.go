package daemon

import (
	"context"

	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/semaphore/slot"
)

// releaseInBackground runs, with strategy reboot, when the start-up work on the semaphore could
// not be done (etcd did not answer): in the background, while the machine goes on, it tries again
// after back-off delays from RetryInitial to RetryMax to read the semaphore and give back the slot
// this machine holds, running the post-reboot checks first if the slot is from an earlier boot
// and checked is false. It returns when the slot is released, when this machine holds none, when
// the checks fail (the slot is then kept, as it is in the foreground, and that is logged as an
// error) or when ctx ends. Failed tries are logged at debug level: the first failure was a
// warning already. It is a method of env: Run's state is out of its reach.
func (e *env) releaseInBackground(ctx context.Context, checked bool) {
	b := backoff{initial: e.cfg.RetryInitial, max: e.cfg.RetryMax}
	d := b.delay()
	for clock.Sleep(ctx, e.clock, d) == nil {
		var st slot.State
		err := e.probe(ctx, func(ctx context.Context) (err error) { st, err = e.d.Lock.Get(ctx); return err })
		if err == nil {
			h, held := st.Holder(e.cfg.MachineID)
			if !held {
				e.log.Info("strategy reboot: etcd answers again; this machine holds no reboot slot")
				return
			}
			if !checked && h.BootID != e.cfg.BootID {
				e.log.Info("strategy reboot: etcd answers again; this machine rebooted while holding a slot, running the post-reboot checks before releasing it", holderAttr(h))
				if _, err := e.postRebootChecks(ctx, func(_ int, failed *CheckError, status string) {
					if failed != nil {
						e.log.Warn(status)
					} else {
						e.log.Info(status)
					}
				}); err != nil {
					if ctx.Err() == nil {
						e.keptAfterFailedChecks(err, h)
					}
					return
				}
				checked = true
			}
			why := "strategy reboot does not use it"
			if h.BootID != e.cfg.BootID {
				why = "post-reboot checks passed"
			}
			if err = e.releaseSlot(ctx, h, why); err == nil {
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		d = b.delay()
		e.log.Debug("strategy reboot: still cannot give back the reboot slot; retrying", "error", err, "retry_in", d)
	}
}
