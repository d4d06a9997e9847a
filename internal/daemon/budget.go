package daemon

import (
	"context"

	"locksmith.dev/locksmith/history"
)

// countFailure counts a failed reboot against the group's budget, if there is one, with the
// retries of persist, and says so in the log and the history; also when it froze the group. A
// failure that cannot be counted is logged: the reboot has failed either way.
func (m *Machine) countFailure(ctx context.Context, reason string) {
	if m.d.Budget == nil {
		return
	}
	m.record(history.Event{Kind: history.RebootFailed, Reason: reason})
	err := m.persist(ctx, "count the failed reboot against the failure budget", func(ctx context.Context) error {
		f, err := m.d.Budget.Fail(ctx, reason)
		if err == nil && f != nil {
			m.log.Error("the group is FROZEN: its budget of failed reboots is used up; nobody gets a new slot until locksmithctl resume",
				"reason", f.Reason, "previous_max", f.PreviousMax)
			old := f.PreviousMax
			m.record(history.Event{Kind: history.Frozen, OldMax: &old, Reason: f.Reason})
		}
		return err
	})
	if err != nil {
		m.log.Error("cannot count the failed reboot against the failure budget", "error", err, "failure", reason)
	}
}
