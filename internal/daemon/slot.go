package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/semaphore/slot"
	"locksmith.dev/locksmith/strategy"
)

// holderAttr returns the facts of h for a log record.
func holderAttr(h slot.Holder) slog.Attr {
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
func (m *Machine) setSlot(kind slotKind, h slot.Holder) {
	m.slot, m.holder = kind, h
	if kind == slotNone {
		m.holder = slot.Holder{}
	}
	m.emit()
}

// The slot is given back to the Lock by one function, env.releaseSlot, which any goroutine may
// call. Run's goroutine calls it at two moments: releaseAtStart (boot.go), for the slot found
// at start, and releaseUnused, after a failed attempt and at stop. Strategy reboot's start-up
// release that etcd did not answer goes on in env.releaseInBackground (background.go).

// releaseUnused gives back a slot taken for a reboot that has not been requested: after a failed
// attempt, and at stop. Other slots (none, kept, or one whose reboot was requested) stay. The
// release is detached from ctx's cancellation, so it also works at shutdown. A failure is
// logged; the slot is then still considered held, and the next attempt or the shutdown tries
// again.
func (m *Machine) releaseUnused(ctx context.Context, why string) {
	if m.slot != slotForReboot || m.rebootRequested {
		return
	}
	if err := m.releaseSlot(context.WithoutCancel(ctx), m.holder, why); err != nil {
		m.log.Error("cannot release the reboot slot; it stays taken until a later try succeeds or an operator runs locksmithctl unlock",
			"error", err, "why", why, holderAttr(m.holder))
		return
	}
	m.setSlot(slotNone, slot.Holder{})
}

// releaseSlot releases this machine's slot h, under ctx bounded by ProbeTimeout, and logs it
// with why. A slot that is already gone (slot.ErrNotHolder, e.g. removed by an operator) counts
// as released. It touches none of Run's state: the caller records the outcome.
func (e *env) releaseSlot(ctx context.Context, h slot.Holder, why string) error {
	err := e.probe(ctx, func(ctx context.Context) error { return e.d.Lock.Release(ctx, e.cfg.MachineID) })
	switch {
	case errors.Is(err, slot.ErrNotHolder):
		e.log.Warn("the reboot slot was already gone", "why", why, holderAttr(h))
		why = "already gone: " + why
	case err != nil:
		return err
	default:
		e.log.Info("released the reboot slot", "why", why, holderAttr(h))
	}
	e.released(h, why)
	return nil
}

// released records that the slot h was given back, or lost, for why.
func (e *env) released(h slot.Holder, why string) {
	ev := history.Event{Kind: history.Released, Reason: why}
	if !h.AcquiredAt.IsZero() {
		ev.HeldSeconds = e.clock.Now().Sub(h.AcquiredAt).Seconds()
	}
	e.record(ev)
}

// stillHolding checks, with strategy etcd-lock, that the semaphore still
// lists this machine's slot (its id, and the boot id recorded with it),
// right before the reboot: the pre-reboot command and the login delay may
// take long, and meanwhile an operator (locksmithctl unlock, remove-stale)
// or a peer's --lock-ttl may have removed it. A lost slot is logged with
// the holders of now and recorded as none; the error wraps ErrSlotLost. A
// failed read is an error too: without the slot confirmed, no reboot.
//
// The slot may still go between this read and the reboot request; that
// window is a round trip to logind, and nothing closes it short of a lock
// on the reboot itself.
func (m *Machine) stillHolding(ctx context.Context) error {
	if m.cfg.Strategy != strategy.EtcdLock || m.slot == slotNone {
		return nil
	}
	gctx, cancel := clock.WithTimeout(ctx, m.clock, m.cfg.ProbeTimeout)
	st, err := m.d.Lock.Get(gctx)
	cancel()
	if err != nil {
		return fmt.Errorf("confirm that this machine still holds its reboot slot: %w", err)
	}
	if m.lists(st, m.holder) {
		return nil
	}
	holders := make([]string, len(st.Holders))
	for i, h := range st.Holders {
		holders[i] = h.ID
		if h.Hostname != "" {
			holders[i] += " (" + h.Hostname + ")"
		}
	}
	now := strings.Join(holders, ", ")
	if now == "" {
		now = "nobody"
	}
	attrs := []any{"holders", now, holderAttr(m.holder)}
	if r := st.LastRemoval; r != nil && r.Holder.ID == m.cfg.MachineID {
		attrs = append(attrs, "removed_by", r.By, "removal_reason", r.Reason)
	}
	m.log.Warn("the reboot slot was lost before the reboot; not rebooting, waiting for a slot again", attrs...)
	m.released(m.holder, "lost before the reboot (slots held by: "+now+")")
	m.setSlot(slotNone, slot.Holder{})
	return fmt.Errorf("%w before the reboot (slots held by: %s)", ErrSlotLost, now)
}

// lists reports whether st lists this machine's slot h: its id, with the
// boot id recorded with it (when both sides know one).
func (e *env) lists(st slot.State, h slot.Holder) bool {
	now, ok := st.Holder(e.cfg.MachineID)
	return ok && (now.BootID == h.BootID || now.BootID == "" || h.BootID == "")
}
