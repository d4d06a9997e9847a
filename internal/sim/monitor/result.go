package monitor

import (
	"slices"
	"time"
)

// Kind is the kind of an Event.
type Kind int

// The kinds of events.
const (
	// Acquire: an id was added to the holders of a group.
	Acquire Kind = iota + 1
	// Release: an id was removed from the holders of a group (released
	// or removed as stale).
	Release
	// Enqueue: an id started waiting (a waiter key was created, or
	// MarkWaiting was called).
	Enqueue
	// Dequeue: a waiter key was deleted, or a mark was removed by
	// UnmarkWaiting or by the id's acquire.
	Dequeue
)

// String returns "acquire", "release", "enqueue" or "dequeue".
func (k Kind) String() string {
	switch k {
	case Acquire:
		return "acquire"
	case Release:
		return "release"
	case Enqueue:
		return "enqueue"
	case Dequeue:
		return "dequeue"
	}
	return "unknown"
}

// Event is one observed change.
type Event struct {
	Time     time.Time // when the monitor received it
	Revision int64     // etcd revision; 0 for marks
	Group    string
	Kind     Kind
	ID       string // holder id
}

// Exceeded records a revision at which a group had more holders than max.
type Exceeded struct {
	Time     time.Time
	Revision int64
	Group    string
	Max      int
	Holders  []string
}

// FIFOViolation records an acquire that took a slot owed to waiters who
// enqueued earlier (see the package documentation).
type FIFOViolation struct {
	Time      time.Time
	Revision  int64
	Group     string
	Acquirer  string
	Overtaken []string // ids of the earlier waiters still waiting, in queue order
}

// Gap is a range of revisions the monitor could not observe because etcd
// had compacted them: From is the first revision missed, To the revision
// whose state the monitor re-read.
type Gap struct {
	From, To int64
}

// Problem is a semaphore value the monitor could not read.
type Problem struct {
	Revision int64
	Group    string
	Problem  string
}

// GroupResult is what was observed of one group.
type GroupResult struct {
	Group string
	Key   string // etcd key of the semaphore
	// Max is the last max seen; 0 if the key was never seen.
	Max int
	// MaxConcurrent is the most holders the group had at any observed
	// revision.
	MaxConcurrent int
	// Acquires and Releases count the Acquire and Release events.
	Acquires, Releases int
	// Holders and Waiting are the holder ids and the waiting ids (in
	// queue order) at the last observed revision.
	Holders, Waiting []string
	// Handoffs are the handoff latencies, in the order observed.
	Handoffs []time.Duration
	// LongestIdle is the longest span, ended, during which a slot was free (fewer holders than
	// max) while an id was waiting, and LongestIdleFrom when it began; times are those at which
	// the monitor received the events.
	LongestIdle     time.Duration
	LongestIdleFrom time.Time
}

// Result is a snapshot of everything observed so far.
type Result struct {
	// Revision is the last etcd revision fully processed.
	Revision int64
	Groups   []GroupResult // in the order of Config.Groups
	Events   []Event       // in the order observed
	Exceeded []Exceeded
	FIFO     []FIFOViolation
	Gaps     []Gap
	Problems []Problem
}

// Complete reports whether every revision since the start was observed.
func (r Result) Complete() bool { return len(r.Gaps) == 0 }

// MaxConcurrent returns the most holders any group had at once.
func (r Result) MaxConcurrent() int {
	n := 0
	for _, g := range r.Groups {
		n = max(n, g.MaxConcurrent)
	}
	return n
}

// Handoffs returns the handoff latencies of all groups, sorted.
func (r Result) Handoffs() []time.Duration {
	var all []time.Duration
	for _, g := range r.Groups {
		all = append(all, g.Handoffs...)
	}
	slices.Sort(all)
	return all
}

// Group returns the result of the named group and whether it is watched.
func (r Result) Group(name string) (GroupResult, bool) {
	i := slices.IndexFunc(r.Groups, func(g GroupResult) bool { return g.Group == name })
	if i < 0 {
		return GroupResult{}, false
	}
	return r.Groups[i], true
}
