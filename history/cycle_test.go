package history

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func at(min int, kind Kind, node string) Event {
	return Event{Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Node: node}
}

func TestCyclesFollowEachNodeThroughItsPhases(t *testing.T) {
	events := []Event{
		at(0, WaitingForSlot, "a"), at(0, WaitingForSlot, "b"),
		at(1, SlotTaken, "a"), at(2, RebootRequested, "a"),
		at(5, Booted, "a"), at(6, ChecksPassed, "a"), at(6, Released, "a"),
		at(6, SlotTaken, "b"), at(7, RebootRequested, "b"), at(9, Booted, "b"),
		at(20, ChecksFailed, "b"),
	}
	now := t0.Add(30 * time.Minute)
	cycles := Cycles(events)
	if len(cycles) != 2 || cycles[0].Node != "a" || cycles[1].Node != "b" {
		t.Fatalf("cycles %+v, want a's then b's", cycles)
	}
	a, b := cycles[0], cycles[1]
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"a waiting", a.Phase(PhaseWaiting, now), time.Minute},
		{"a holding", a.Phase(PhaseHolding, now), time.Minute},
		{"a down", a.Phase(PhaseDown, now), 3 * time.Minute},
		{"a checks", a.Phase(PhaseChecks, now), time.Minute},
		{"a held", a.Held(now), 5 * time.Minute},
		{"b waiting", b.Phase(PhaseWaiting, now), 6 * time.Minute},
		{"b checks, still going on", b.Phase(PhaseChecks, now), 21 * time.Minute},
		{"b held", b.Held(now), 24 * time.Minute},
	} {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s", c.name, c.got, c.want)
		}
	}
	if s, _ := a.Slowest(now); s.Phase != PhaseDown {
		t.Errorf("a's slowest phase: %s, want down", s.Phase)
	}
	if !b.Failed || !b.Released.IsZero() {
		t.Errorf("b: failed %v, released %v; want failed and not released", b.Failed, b.Released)
	}
}

func TestARetryBeginsANewCycle(t *testing.T) {
	cycles := Cycles([]Event{
		at(0, WaitingForSlot, "a"), at(1, SlotTaken, "a"), at(2, Released, "a"),
		at(3, WaitingForSlot, "a"), at(4, SlotTaken, "a"),
	})
	if len(cycles) != 2 || cycles[0].Released.IsZero() || !cycles[1].Released.IsZero() {
		t.Fatalf("cycles %+v, want a released one, then one in progress", cycles)
	}
}

func TestLastRolloutStartsAfterTheLastQuietTime(t *testing.T) {
	cycles := Cycles([]Event{
		at(0, SlotTaken, "old"), at(1, Released, "old"),
		at(10, WaitingForSlot, "a"), at(10, WaitingForSlot, "b"), at(11, SlotTaken, "a"),
		at(12, Released, "a"), at(12, SlotTaken, "b"), at(13, Released, "b"),
		at(13, SlotTaken, "c"), // began as b ended: still the same rollout
	})
	got := LastRollout(cycles, t0.Add(20*time.Minute))
	var nodes []string
	for _, c := range got {
		nodes = append(nodes, c.Node)
	}
	if len(nodes) != 3 || nodes[0] != "a" || nodes[1] != "b" || nodes[2] != "c" {
		t.Errorf("last rollout %v, want [a b c]", nodes)
	}
	if LastRollout(nil, t0) != nil {
		t.Error("the last rollout of no cycles is not empty")
	}
}

func TestTextNamesWhatHappened(t *testing.T) {
	two, five := 2, 5
	for _, c := range []struct {
		e    Event
		want string
	}{
		{Event{Kind: SlotTaken, Node: "a", WaitSeconds: 123, Position: 3}, "node a took a reboot slot after waiting 2m3s (position 3 when it queued)"},
		{Event{Kind: SetMax, By: "root@ops1", OldMax: &two, Max: &five, Group: "web"}, `root@ops1 set max from 2 to 5 in group "web"`},
		{Event{Kind: ChecksFailed, Node: "b", Hostname: "web-2", Tries: 4, Error: "exit status 1"},
			"node b (web-2) FAILED its post-reboot checks after 4 tries, keeping its slot: exit status 1"},
		{Event{Kind: Booted, Node: "c", OSVersion: "4081.2.0", BootID: "x"}, "node c booted OS version 4081.2.0 (boot id x)"},
	} {
		if got := c.e.Text(); got != c.want {
			t.Errorf("Text of %s:\n got %q\nwant %q", c.e.Kind, got, c.want)
		}
	}
}
