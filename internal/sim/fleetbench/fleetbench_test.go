package fleetbench

import (
	"testing"
	"time"
)

// A short run on a real etcd: every cycle's unlock succeeded, the watch saw every value, and no
// value ever had more holders than max. (Its speed is measured by the command, never asserted.)
func TestMeasureKeepsMax(t *testing.T) {
	o := Options{Clients: 4, Max: 2, Duration: 300 * time.Millisecond, Hold: time.Millisecond, Retry: 5 * time.Millisecond, Handoffs: 5}
	res, err := Measure(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Contention{"polling": res.Polling, "long-poll": res.LongPoll} {
		if c.Cycles == 0 || c.FailedUnlocks != 0 || c.FailedLocks != 0 || c.MostHolders < 1 || c.MostHolders > o.Max || c.ValuesObserved < c.Cycles {
			t.Errorf("%s: %+v; want cycles, no failures, 1 to %d holders, a value seen per grant", name, c, o.Max)
		}
	}
	if res.Handoff.N != o.Handoffs {
		t.Errorf("%d handoffs measured, want %d", res.Handoff.N, o.Handoffs)
	}
}
