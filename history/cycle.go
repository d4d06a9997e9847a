package history

import (
	"slices"
	"time"
)

// Phase is a part of a node's reboot, as the timeline draws it.
type Phase string

// The phases of a reboot, in order.
const (
	PhaseWaiting Phase = "waiting" // queued for a slot
	PhaseHolding Phase = "holding" // holding the slot, before the reboot
	PhaseDown    Phase = "down"    // from the reboot request until the node booted
	PhaseChecks  Phase = "checks"  // booted, post-reboot checks until the release
)

// Cycle is one reboot of one node, as its events tell it. A time is zero when its event is
// missing (not yet happened, or out of the log's bound).
type Cycle struct {
	Node, Hostname string
	Waiting        time.Time // joined the queue (waiting-for-slot)
	Taken          time.Time // slot-taken
	Rebooting      time.Time // reboot-requested
	Booted         time.Time // booted
	Released       time.Time // released
	// Failed reports checks-failed: the node keeps its slot.
	Failed bool
	// Position is the place it had when it queued (0: unknown, or it took a free slot).
	Position int
}

// Start is the first known moment of the cycle.
func (c Cycle) Start() time.Time {
	for _, t := range []time.Time{c.Waiting, c.Taken, c.Rebooting, c.Booted} {
		if !t.IsZero() {
			return t
		}
	}
	return c.Released
}

// End is the last known moment of the cycle, or now while it goes on.
func (c Cycle) End(now time.Time) time.Time {
	if !c.Released.IsZero() {
		return c.Released
	}
	return now
}

// Span is a phase of a cycle, from Start to End.
type Span struct {
	Phase      Phase
	Start, End time.Time
}

// Duration is the length of s.
func (s Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Spans returns the phases of c that are known, in order; a phase still going on ends at now.
func (c Cycle) Spans(now time.Time) []Span {
	marks := []struct {
		p Phase
		t time.Time
	}{{PhaseWaiting, c.Waiting}, {PhaseHolding, c.Taken}, {PhaseDown, c.Rebooting}, {PhaseChecks, c.Booted}}
	var out []Span
	for i, m := range marks {
		if m.t.IsZero() {
			continue
		}
		end := c.End(now)
		for _, n := range marks[i+1:] {
			if !n.t.IsZero() {
				end = n.t
				break
			}
		}
		out = append(out, Span{m.p, m.t, end})
	}
	return out
}

// Slowest returns the longest phase of c up to now; ok is false when c has none.
func (c Cycle) Slowest(now time.Time) (s Span, ok bool) {
	for _, sp := range c.Spans(now) {
		if !ok || sp.Duration() > s.Duration() {
			s, ok = sp, true
		}
	}
	return s, ok
}

// Phase returns the length of phase p in c up to now, 0 when unknown.
func (c Cycle) Phase(p Phase, now time.Time) time.Duration {
	for _, sp := range c.Spans(now) {
		if sp.Phase == p {
			return sp.Duration()
		}
	}
	return 0
}

// Held is how long c held its slot up to now, 0 when it took none.
func (c Cycle) Held(now time.Time) time.Duration {
	if c.Taken.IsZero() {
		return 0
	}
	return c.End(now).Sub(c.Taken)
}

// Cycles groups events (oldest first, as [Log.List] returns them) into the reboot cycles of
// each node, ordered by their start. A cycle begins when a node queues or takes a slot and ends
// when it releases it; an event of a phase already passed begins a new cycle.
func Cycles(events []Event) []Cycle {
	open := map[string]int{} // node → index in out of its cycle in progress
	var out []Cycle
	at := func(e Event) *Cycle {
		i, ok := open[e.Node]
		if !ok {
			out = append(out, Cycle{Node: e.Node, Hostname: e.Hostname})
			i = len(out) - 1
			open[e.Node] = i
		}
		return &out[i]
	}
	set := func(e Event, field func(*Cycle) *time.Time) {
		c := at(e)
		if f := field(c); !f.IsZero() { // that phase passed: a new cycle
			delete(open, e.Node)
			c = at(e)
		}
		*field(c) = e.Time
	}
	for _, e := range events {
		switch e.Kind {
		case WaitingForSlot:
			set(e, func(c *Cycle) *time.Time { return &c.Waiting })
		case SlotTaken:
			set(e, func(c *Cycle) *time.Time { return &c.Taken })
			at(e).Position = e.Position
		case RebootRequested:
			set(e, func(c *Cycle) *time.Time { return &c.Rebooting })
		case Booted:
			set(e, func(c *Cycle) *time.Time { return &c.Booted })
		case ChecksFailed:
			at(e).Failed = true
		case Released:
			if _, ok := open[e.Node]; ok {
				at(e).Released = e.Time
				delete(open, e.Node)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Cycle) int { return a.Start().Compare(b.Start()) })
	return out
}

// LastRollout returns the cycles of the last rollout: the last run of cycles in which each
// cycle began before every earlier one of the run had ended (the group was never quiet in
// between). Cycles still going on end at now.
func LastRollout(cycles []Cycle, now time.Time) []Cycle {
	if len(cycles) == 0 {
		return nil
	}
	first := 0
	end := cycles[0].End(now)
	for i := 1; i < len(cycles); i++ {
		if cycles[i].Start().After(end) {
			first = i
		}
		if e := cycles[i].End(now); e.After(end) {
			end = e
		}
	}
	return cycles[first:]
}
