package daemon

import (
	"context"
	"log/slog"

	"locksmith.dev/locksmith/history"
)

// enter records a new state and status text and reports it: log, sd_notify
// STATUS=, coordinator.conf (when its STATE= changes) and OnEvent. While
// the machine keeps a slot because the post-reboot checks failed, every
// status starts with that failure and is logged as an error.
func (m *Machine) enter(s State, status string) {
	m.enterAt(slog.LevelInfo, s, status)
}

// enterRetry is enter for a failure that is retried: the status, which says what failed, why and
// when the next try comes, is logged once, as a warning.
func (m *Machine) enterRetry(s State, status string) { m.enterAt(slog.LevelWarn, s, status) }

// enterAt is enter with the level of the log line.
func (m *Machine) enterAt(level slog.Level, s State, status string) {
	if m.slot == slotKept && m.healthFailure != "" && s != StateHealthFailed {
		status = "post-reboot checks failed, holding the reboot slot (rollout halted): " + m.healthFailure + "; " + status
		level = slog.LevelError
	}
	if s == m.state && status == m.status {
		return
	}
	cs := s.coordinatorState()
	if s == StateStopped && m.rebootRequested {
		cs = "" // going down for the reboot: the file keeps saying so
	}
	if m.d.Coordinator != nil && cs != "" && (m.state == "" || cs != m.state.coordinatorState()) {
		if err := m.d.Coordinator.SetState(cs); err != nil {
			m.log.Warn("cannot update the coordinator file", "error", err)
		}
	}
	if s != m.state {
		m.since = m.clock.Now()
	}
	m.state, m.status = s, status
	m.log.Log(context.Background(), level, status, "state", string(s))
	m.notify(func(n Notifier) error { return n.Status(status) })
	m.emit()
}

// emit reports the current state and slot to OnEvent.
func (m *Machine) emit() {
	if m.cfg.OnEvent == nil {
		return
	}
	e := Event{Time: m.clock.Now(), State: m.state, Status: m.status, Holding: m.slot != slotNone, Since: m.since,
		RebootNeeded: m.rebootNeeded, WindowOpens: m.windowOpens, BlockedBy: m.blockedBy, Check: m.check}
	if e.Holding {
		e.Holder = m.holder
	}
	m.cfg.OnEvent(e)
}

// record sends e to the History, with the time, the node and its group filled in. Any goroutine
// may call it.
func (e *env) record(ev history.Event) {
	if e.d.History == nil {
		return
	}
	ev.Time, ev.Node, ev.Group, ev.Hostname = e.clock.Now(), e.cfg.MachineID, e.cfg.Group, e.cfg.Hostname
	e.d.History.Record(ev)
}

// notify sends an sd_notify message with send; a failure is logged at
// debug level only, as sd_notify is advisory.
func (e *env) notify(send func(Notifier) error) {
	if e.d.Notifier == nil {
		return
	}
	if err := send(e.d.Notifier); err != nil {
		e.log.Debug("sd_notify failed", "error", err)
	}
}
