package sim

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"sync"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/timeline"
)

// journal keeps the history events of a run's daemons in memory, for the timeline.
type journal struct {
	mu     sync.Mutex
	events []history.Event
}

// Record is daemon.History.
func (j *journal) Record(e history.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.events = append(j.events, e)
}

// history returns the daemons' History: the journal, or none without one.
func (f *fleet) history() daemon.History {
	if f.journal == nil {
		return nil
	}
	return f.journal
}

// drawTimeline writes the run's journal as an SVG chart to path.
func (f *fleet) drawTimeline(path string) error {
	f.journal.mu.Lock()
	events := slices.Clone(f.journal.events)
	f.journal.mu.Unlock()
	slices.SortStableFunc(events, func(a, b history.Event) int { return a.Time.Compare(b.Time) })
	if len(events) == 0 {
		return fmt.Errorf("--timeline: the run recorded no events")
	}
	end := events[len(events)-1].Time
	title := fmt.Sprintf("locksmith-sim %s run: %d nodes, max %d in each of %d groups (simulated time)", f.mode, f.opts.Nodes, f.opts.Max, f.opts.Groups)
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--timeline: %w", err)
	}
	err = timeline.SVG(file, timeline.Chart{Title: title, Cycles: history.Cycles(events), Max: f.opts.Max * f.opts.Groups, Now: end})
	return cmp.Or(err, file.Close())
}
