package daemon

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/flatcar/locksmith/internal/clock"
	"github.com/flatcar/locksmith/semaphore"
)

// holderAttr returns the facts of h for a log record.
func holderAttr(h semaphore.Holder) slog.Attr {
	attrs := []any{"id", h.ID}
	if h.Hostname != "" {
		attrs = append(attrs, "hostname", h.Hostname)
	}
	if h.BootID != "" {
		attrs = append(attrs, "boot_id", h.BootID)
	}
	if !h.AcquiredAt.IsZero() {
		attrs = append(attrs, "acquired_at", h.AcquiredAt.UTC().Format(time.RFC3339))
	}
	if h.Reason != "" {
		attrs = append(attrs, "reason", h.Reason)
	}
	return slog.Group("holder", attrs...)
}

// setSlot records the slot held (or slotNone) and reports the change.
func (m *Machine) setSlot(kind slotKind, h semaphore.Holder) {
	m.slot, m.holder = kind, h
	if kind == slotNone {
		m.holder = semaphore.Holder{}
	}
	m.emit()
}

// release gives back a slot taken for a reboot that has not been requested;
// other slots (none, kept, or one whose reboot was requested) stay. It uses
// a context bounded by ProbeTimeout and detached from ctx's cancellation, so
// it also works at shutdown. A failure is logged; the slot is then still
// considered held, and the next attempt or the shutdown tries again.
func (m *Machine) release(ctx context.Context, why string) {
	if m.slot != slotForReboot || m.rebootRequested {
		return
	}
	if err := m.releaseSlot(ctx, why); err != nil {
		m.log.Error("cannot release the reboot slot; it stays taken until a later try succeeds or an operator runs locksmithctl unlock",
			"error", err, "why", why, holderAttr(m.holder))
	}
}

// releaseSlot releases this machine's slot with a bounded context and
// records that it holds none. A slot that is already gone
// (semaphore.ErrNotHolder, e.g. removed by an operator) counts as released.
func (m *Machine) releaseSlot(ctx context.Context, why string) error {
	rctx, cancel := clock.WithTimeout(context.WithoutCancel(ctx), m.clock, m.cfg.ProbeTimeout)
	defer cancel()
	err := m.d.Lock.Release(rctx, m.cfg.MachineID)
	switch {
	case errors.Is(err, semaphore.ErrNotHolder):
		m.log.Warn("the reboot slot was already gone", "why", why, holderAttr(m.holder))
	case err != nil:
		return err
	default:
		m.log.Info("released the reboot slot", "why", why, holderAttr(m.holder))
	}
	m.setSlot(slotNone, semaphore.Holder{})
	return nil
}
