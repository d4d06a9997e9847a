package daemon

// enter records a new state and status text and reports it: log, sd_notify
// STATUS=, coordinator.conf (when its STATE= changes) and OnEvent.
func (m *Machine) enter(s State, status string) {
	if s == m.state && status == m.status {
		return
	}
	if cs := s.coordinatorState(); m.d.Coordinator != nil && cs != "" && (m.state == "" || cs != m.state.coordinatorState()) {
		if err := m.d.Coordinator.SetState(cs); err != nil {
			m.log.Warn("cannot update the coordinator file", "error", err)
		}
	}
	m.state, m.status = s, status
	m.log.Info(status, "state", string(s))
	m.notify("STATUS=" + status)
	m.emit()
}

// emit reports the current state and slot to OnEvent.
func (m *Machine) emit() {
	if m.cfg.OnEvent == nil {
		return
	}
	e := Event{Time: m.clock.Now(), State: m.state, Status: m.status, Holding: m.slot != slotNone}
	if e.Holding {
		e.Holder = m.holder
	}
	m.cfg.OnEvent(e)
}

// notify sends an sd_notify message; a failure is logged at debug level
// only, as sd_notify is advisory.
func (m *Machine) notify(state string) {
	if m.d.Notifier == nil {
		return
	}
	if err := m.d.Notifier.Notify(state); err != nil {
		m.log.Debug("sd_notify failed", "error", err)
	}
}
