package history

import "time"

// Filter selects events; its zero value selects all.
type Filter struct {
	// Node, if set, selects the events of that node (or, for an operator's event, acting on it).
	Node string
	// Since, if set, selects the events at or after it.
	Since time.Time
}

// Match reports whether f selects e.
func (f Filter) Match(e Event) bool {
	if f.Node != "" && e.Node != f.Node && e.Holder != f.Node {
		return false
	}
	return f.Since.IsZero() || !e.Time.Before(f.Since)
}
