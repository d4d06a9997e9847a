package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore/slot"
	"locksmith.dev/locksmith/strategy"
)

// Thursday 2026-12-03 10:00 UTC; the window opens Saturdays at 02:00.
var now = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func TestTheMetricsTellWhatTheNodeDid(t *testing.T) {
	sched, err := strategy.ParseSchedule("Sat 02:00 2h", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	n := New(sched, func() time.Time { return now })
	reg := prometheus.NewPedanticRegistry()
	if err := n.Register(reg); err != nil {
		t.Fatal(err)
	}
	n.SetGroup(func() (slot.State, bool) {
		return slot.State{Max: 2, Holders: []slot.Holder{{ID: "a"}}, Failures: []slot.Failure{{ID: "b"}}}, true
	})
	n.Observe(daemon.Event{State: daemon.StateWaitingSlot, RebootNeeded: true})
	n.Record(history.Event{Kind: history.SlotTaken, WaitSeconds: 90})
	n.Record(history.Event{Kind: history.RebootRequested})
	n.Record(history.Event{Kind: history.StaleRemoved})
	n.Observe(daemon.Event{State: daemon.StateCheckingHealth, Holding: true, Check: &daemon.CheckFailure{Rounds: 1}})
	n.Observe(daemon.Event{State: daemon.StateCheckingHealth, Holding: true, Check: &daemon.CheckFailure{Rounds: 1}}) // same round
	n.Observe(daemon.Event{State: daemon.StateCheckingHealth, Holding: true, Check: &daemon.CheckFailure{Rounds: 3}})
	n.Record(history.Event{Kind: history.Released, HeldSeconds: 600})
	n.Observe(daemon.Event{State: daemon.StateIdle})
	n.BackendError()

	want := `
# HELP locksmith_group_failed_reboots Failed reboots counted against the group's failure budget, as last read from etcd.
# TYPE locksmith_group_failed_reboots gauge
locksmith_group_failed_reboots 1
# HELP locksmith_group_frozen 1 while the node's group is frozen by its failure budget (--max-failures; locksmithctl resume ends it), as last read from etcd.
# TYPE locksmith_group_frozen gauge
locksmith_group_frozen 0
# HELP locksmith_group_holders Holders of the node's group, as last read from etcd.
# TYPE locksmith_group_holders gauge
locksmith_group_holders 1
# HELP locksmith_group_max Max of the node's group, as last read from etcd.
# TYPE locksmith_group_max gauge
locksmith_group_max 2
# HELP locksmith_reboot_needed 1 while a reboot is needed and has not happened yet.
# TYPE locksmith_reboot_needed gauge
locksmith_reboot_needed 0
# HELP locksmith_reboot_window_next_open_timestamp_seconds Start of the current or next opening of the reboot window, as a Unix time.
# TYPE locksmith_reboot_window_next_open_timestamp_seconds gauge
locksmith_reboot_window_next_open_timestamp_seconds 1.796436e+09
# HELP locksmith_reboot_window_open 1 while the reboot window is open.
# TYPE locksmith_reboot_window_open gauge
locksmith_reboot_window_open 0
# HELP locksmith_reboots_total Reboots this daemon requested.
# TYPE locksmith_reboots_total counter
locksmith_reboots_total 1
# HELP locksmith_post_reboot_check_failures_total Rounds of post-reboot checks that failed.
# TYPE locksmith_post_reboot_check_failures_total counter
locksmith_post_reboot_check_failures_total 3
# HELP locksmith_stale_removals_total Stale slot holders this daemon removed (--lock-ttl).
# TYPE locksmith_stale_removals_total counter
locksmith_stale_removals_total 1
# HELP locksmith_backend_errors_total Errors of etcd or the FleetLock server that this daemon met (and retried).
# TYPE locksmith_backend_errors_total counter
locksmith_backend_errors_total 1
`
	names := []string{"locksmith_group_failed_reboots", "locksmith_group_frozen", "locksmith_group_holders", "locksmith_group_max", "locksmith_reboot_needed",
		"locksmith_reboot_window_next_open_timestamp_seconds", "locksmith_reboot_window_open", "locksmith_reboots_total",
		"locksmith_post_reboot_check_failures_total", "locksmith_stale_removals_total", "locksmith_backend_errors_total"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "locksmith_state":
			if len(mf.Metric) != len(States) {
				t.Errorf("%d state series, want %d", len(mf.Metric), len(States))
			}
			for _, m := range mf.Metric {
				if v, idle := m.GetGauge().GetValue(), m.Label[0].GetValue() == "idle"; (v == 1) != idle {
					t.Errorf("locksmith_state{state=%q} = %v", m.Label[0].GetValue(), v)
				}
			}
		case "locksmith_slot_wait_seconds", "locksmith_slot_held_seconds":
			h := mf.Metric[0].GetHistogram()
			if want := map[string]float64{"locksmith_slot_wait_seconds": 90, "locksmith_slot_held_seconds": 600}[mf.GetName()]; h.GetSampleCount() != 1 || h.GetSampleSum() != want {
				t.Errorf("%s: %d samples of sum %v, want 1 of %v", mf.GetName(), h.GetSampleCount(), h.GetSampleSum(), want)
			}
		}
	}
}

func TestAnAlwaysOpenWindowHasNoNextOpening(t *testing.T) {
	n := New(strategy.Schedule{}, func() time.Time { return now })
	reg := prometheus.NewPedanticRegistry()
	if err := n.Register(reg); err != nil {
		t.Fatal(err)
	}
	if c, err := testutil.GatherAndCount(reg, "locksmith_reboot_window_next_open_timestamp_seconds", "locksmith_group_max"); err != nil || c != 0 {
		t.Errorf("%d series of the next opening and the group (%v), want none", c, err)
	}
	if c, _ := testutil.GatherAndCount(reg, "locksmith_reboot_window_open"); c != 1 {
		t.Errorf("%d window series, want 1", c)
	}
}
