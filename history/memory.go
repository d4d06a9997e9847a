package history

import (
	"slices"
	"sync"
)

// Memory keeps events in memory, for the simulator and tests. It is safe for concurrent use.
type Memory struct {
	mu     sync.Mutex
	events []Event
}

// Record keeps e.
func (m *Memory) Record(e Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, e)
}

// Events returns the events kept, in the order they came.
func (m *Memory) Events() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}
