package sim

import (
	"cmp"
	"fmt"
	"os"
	"slices"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/timeline"
)

// history returns the daemons' History: the journal, or none without one.
func (f *fleet) history() daemon.History {
	if f.journal == nil {
		return nil
	}
	return f.journal
}

// drawTimeline writes the run's journal as an SVG chart to path.
func (f *fleet) drawTimeline(path string) error {
	events := f.journal.Events()
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
