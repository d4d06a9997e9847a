package strategy

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// Window is one recurring reboot window: it opens at a wall-clock time on
// every day or on a set of weekdays and stays open for a length. The zero
// Window is not valid; windows come from [ParseLocksmithWindow] and
// [ParseSchedule] through [Schedule.Windows].
type Window struct {
	days   weekdays      // the days on which the window opens
	start  int           // minutes after local midnight, 0 to 1439
	length time.Duration // elapsed time from opening to closing, > 0
}

// Weekdays returns the days on which w opens, Sunday first; all seven for a
// daily window.
func (w Window) Weekdays() []time.Weekday {
	var out []time.Weekday
	for d := time.Sunday; d <= time.Saturday; d++ {
		if w.days.has(d) {
			out = append(out, d)
		}
	}
	return out
}

// Start returns the wall-clock time at which w opens.
func (w Window) Start() (hour, minute int) {
	return w.start / 60, w.start % 60
}

// Length returns how long w stays open, as elapsed time from its opening.
func (w Window) Length() time.Duration {
	return w.length
}

// String returns w in the extended form accepted by [ParseSchedule], e.g.
// "Mon-Fri 04:00 1h30m". A window open every day is written without days
// ("04:00 1h") when it is shorter than 24h, and with "Mon-Sun" otherwise.
func (w Window) String() string {
	hour, minute := w.Start()
	clock := fmt.Sprintf("%02d:%02d %s", hour, minute, formatLength(w.length))
	if w.days == everyDay && w.length < day {
		return clock
	}
	return w.days.String() + " " + clock
}

// formatLength writes d as time.Duration.String does, without the zero
// minutes and seconds it appends ("1h" rather than "1h0m0s").
func formatLength(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// weekdays is a set of days: bit d is set when time.Weekday(d) is in it.
type weekdays uint8

const everyDay weekdays = 1<<7 - 1

// dayNames holds the three-letter day names, indexed by time.Weekday.
var dayNames = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

func (ds weekdays) has(d time.Weekday) bool {
	return ds&(1<<d) != 0
}

// String returns the canonical list of the days in ds: runs of three or more
// consecutive days as ranges ("Mon-Fri"; a range may wrap from Sunday to
// Monday, "Fri-Mon"), other days alone, separated by commas and ordered by
// their (first) day, Monday first: "Mon,Wed,Fri-Sun". everyDay is "Mon-Sun".
func (ds weekdays) String() string {
	if ds == everyDay {
		return "Mon-Sun"
	}
	type run struct{ first, n int }
	var runs []run
	gap := 0 // a day not in ds: no run wraps past it
	for ds.has(time.Weekday(gap)) {
		gap++
	}
	for i := 1; i < 7; i++ {
		d := (gap + i) % 7
		switch {
		case !ds.has(time.Weekday(d)):
		case len(runs) > 0 && (runs[len(runs)-1].first+runs[len(runs)-1].n)%7 == d:
			runs[len(runs)-1].n++
		default:
			runs = append(runs, run{d, 1})
		}
	}
	type item struct {
		first int
		text  string
	}
	var items []item
	for _, r := range runs {
		if r.n >= 3 {
			items = append(items, item{r.first, dayNames[r.first] + "-" + dayNames[(r.first+r.n-1)%7]})
			continue
		}
		for d := r.first; d < r.first+r.n; d++ {
			items = append(items, item{d % 7, dayNames[d%7]})
		}
	}
	mondayFirst := func(d int) int { return (d + 6) % 7 }
	slices.SortFunc(items, func(a, b item) int { return mondayFirst(a.first) - mondayFirst(b.first) })
	texts := make([]string, len(items))
	for i, it := range items {
		texts[i] = it.text
	}
	return strings.Join(texts, ",")
}
