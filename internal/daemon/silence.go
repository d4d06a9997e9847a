package daemon

import (
	"context"
)

// silence silences the node's alerts before the reboot, within ProbeTimeout. A silence that
// cannot be made is logged and does not hold the reboot back.
func (m *Machine) silence(ctx context.Context) {
	if m.d.Silencer == nil {
		return
	}
	if err := m.probe(ctx, m.d.Silencer.Silence); err != nil {
		m.log.Warn("cannot silence this node's alerts for the reboot; rebooting anyway", "error", err)
	}
}

// unsilence ends the node's silences once its slot is given back, or when the reboot did not
// happen, within ProbeTimeout; a failure is logged (the silence ends by itself at its end time).
func (m *Machine) unsilence(ctx context.Context) {
	if m.d.Silencer == nil {
		return
	}
	if err := m.probe(context.WithoutCancel(ctx), m.d.Silencer.Unsilence); err != nil {
		m.log.Warn("cannot expire this node's alert silences; they end by themselves", "error", err)
	}
}
