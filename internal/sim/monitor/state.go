package monitor

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// group is the observed state of one semaphore.
type group struct {
	name, key string
	max       int
	holders   map[string]bool
	// waiters are keyed by waiter key, or by markPrefix+id for marks.
	waiters map[string]waiter
	pending []time.Time // releases still waiting for their handoff
	idle    time.Time   // since when a slot is free while an id waits; zero when none is
	res     GroupResult
}

type waiter struct {
	id  string
	seq int64 // queue order: create revision order, then mark order
}

// markPrefix distinguishes marks from waiter keys in group.waiters; no
// etcd key starts with a NUL byte.
const markPrefix = "\x00mark\x00"

func newGroup(name, key string) *group {
	return &group{name: name, key: key, holders: map[string]bool{}, waiters: map[string]waiter{},
		res: GroupResult{Group: name, Key: key}}
}

// value is the part of the semaphore value the monitor reads.
type value struct {
	Max     *int     `json:"max"`
	Holders []string `json:"holders"`
}

func decode(raw []byte) (slots int, holders []string, err error) {
	var v value
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if v.Max == nil {
		return 0, nil, fmt.Errorf("max is missing")
	}
	return *v.Max, v.Holders, nil
}

// recorder collects the results that span groups.
type recorder struct {
	events   []Event
	exceeded []Exceeded
	fifo     []FIFOViolation
}

// setValue applies a new value of the semaphore (holders nil and ok false
// for a deleted key) observed at rev and time t. The waiters must still be
// those before rev. checkFIFO is false when revisions were skipped.
func (g *group) setValue(rec *recorder, rev int64, t time.Time, slots int, ids []string, checkFIFO bool) {
	g.max = slots
	g.res.Max = slots
	next := make(map[string]bool, len(ids))
	for _, id := range ids {
		next[id] = true
	}
	for _, id := range slices.Sorted(maps.Keys(g.holders)) {
		if next[id] {
			continue
		}
		rec.events = append(rec.events, Event{Time: t, Revision: rev, Group: g.name, Kind: Release, ID: id})
		g.res.Releases++
		if g.waitingCount(next) > 0 {
			g.pending = append(g.pending, t)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(next)) {
		if g.holders[id] {
			continue
		}
		rec.events = append(rec.events, Event{Time: t, Revision: rev, Group: g.name, Kind: Acquire, ID: id})
		g.res.Acquires++
		if checkFIFO {
			g.checkFIFO(rec, rev, t, id, next)
		}
		if len(g.pending) > 0 {
			g.res.Handoffs = append(g.res.Handoffs, t.Sub(g.pending[0]))
			g.pending = g.pending[1:]
		}
		if _, marked := g.waiters[markPrefix+id]; marked {
			delete(g.waiters, markPrefix+id)
			rec.events = append(rec.events, Event{Time: t, Group: g.name, Kind: Dequeue, ID: id})
		}
	}
	g.holders = next
	g.trackIdle(t)
	g.res.MaxConcurrent = max(g.res.MaxConcurrent, len(next))
	if len(next) > g.max {
		rec.exceeded = append(rec.exceeded, Exceeded{Time: t, Revision: rev, Group: g.name, Max: g.max, Holders: slices.Sorted(maps.Keys(next))})
	}
}

// checkFIFO records a violation if the acquire of id, giving the holders
// after, left fewer free slots than earlier waiters still waiting.
func (g *group) checkFIFO(rec *recorder, rev int64, t time.Time, id string, after map[string]bool) {
	own := int64(-1) // no waiter entry: a newcomer, enqueued last
	for _, w := range g.waiters {
		if w.id == id && (own < 0 || w.seq < own) {
			own = w.seq
		}
	}
	var earlier []string
	for _, w := range g.queue() {
		if w.id != id && !after[w.id] && (own < 0 || w.seq < own) && !slices.Contains(earlier, w.id) {
			earlier = append(earlier, w.id)
		}
	}
	if free := max(0, g.max-len(after)); free < len(earlier) {
		rec.fifo = append(rec.fifo, FIFOViolation{Time: t, Revision: rev, Group: g.name, Acquirer: id, Overtaken: earlier})
	}
}

// queue returns the waiters in queue order.
func (g *group) queue() []waiter {
	q := slices.Collect(maps.Values(g.waiters))
	slices.SortFunc(q, func(a, b waiter) int { return cmp.Compare(a.seq, b.seq) })
	return q
}

// waitingCount is the number of distinct waiting ids that are not among
// holders.
func (g *group) waitingCount(holders map[string]bool) int {
	return len(g.waitingIDs(holders))
}

func (g *group) waitingIDs(holders map[string]bool) []string {
	var ids []string
	for _, w := range g.queue() {
		if !holders[w.id] && !slices.Contains(ids, w.id) {
			ids = append(ids, w.id)
		}
	}
	return ids
}

// anyWaiting reports whether some waiter is not a holder; unlike waitingCount, it neither sorts
// the queue nor reads all of it, since trackIdle asks after every change.
func (g *group) anyWaiting() bool {
	for _, w := range g.waiters {
		if !g.holders[w.id] {
			return true
		}
	}
	return false
}

// enqueue adds a waiter under entry (a waiter key or a mark).
func (g *group) enqueue(rec *recorder, rev int64, t time.Time, entry string, w waiter) {
	g.waiters[entry] = w
	rec.events = append(rec.events, Event{Time: t, Revision: rev, Group: g.name, Kind: Enqueue, ID: w.id})
	g.trackIdle(t)
}

// trackIdle records, at time t after a change, the start or the end of a span during which a slot
// is free while an id waits, and keeps the longest span that ended.
func (g *group) trackIdle(t time.Time) {
	idle := len(g.holders) < g.max && g.anyWaiting()
	switch {
	case idle && g.idle.IsZero():
		g.idle = t
	case !idle && !g.idle.IsZero():
		if d := t.Sub(g.idle); d > g.res.LongestIdle {
			g.res.LongestIdle, g.res.LongestIdleFrom = d, g.idle
		}
		g.idle = time.Time{}
	}
}

// dequeue removes the waiter under entry, if any. Releases waiting for a
// handoff that no remaining waiter can take are dropped.
func (g *group) dequeue(rec *recorder, rev int64, t time.Time, entry string) {
	w, ok := g.waiters[entry]
	if !ok {
		return
	}
	delete(g.waiters, entry)
	rec.events = append(rec.events, Event{Time: t, Revision: rev, Group: g.name, Kind: Dequeue, ID: w.id})
	if n := g.waitingCount(g.holders); len(g.pending) > n {
		g.pending = g.pending[len(g.pending)-n:]
	}
	g.trackIdle(t)
}

// result returns a copy of the group's result.
func (g *group) result() GroupResult {
	r := g.res
	r.Handoffs = slices.Clone(r.Handoffs)
	r.Holders = slices.Sorted(maps.Keys(g.holders))
	r.Waiting = g.waitingIDs(g.holders)
	return r
}
