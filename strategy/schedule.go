package strategy

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Forever is the end [Schedule.Next] reports for time that stays open without
// end: for the empty Schedule, and for windows that overlap into one run
// lasting past the horizon Next looks ahead (400 days). It is the last second
// of year 9999 UTC, later than any instant a caller meets and still
// representable in RFC 3339 and JSON. Compare it with time.Time.Equal.
var Forever = time.Date(9999, time.December, 31, 23, 59, 59, 0, time.UTC)

const (
	// lookbackDays bounds how many local dates before an instant's own date
	// the opening of a window containing it can be due: windows are shorter
	// than 7 days, and no zone's clock ever jumped a whole day or more at
	// once except Samoa's (a day, in 2011), so 8 covers all.
	lookbackDays = 8
	// horizonDays bounds how far Next follows a run of overlapping windows
	// back or forward from the instant asked about.
	horizonDays = 400
)

// Schedule is a set of reboot windows in one time zone, less its blackout dates. The zero
// Schedule and every other empty Schedule (no windows, no blackout) are always open; one with
// a blackout and no windows is open outside the blackout. A Schedule is an immutable value,
// safe for concurrent use; build it with [ParseLocksmithWindow] or [ParseSchedule], and
// [Schedule.WithBlackout].
type Schedule struct {
	loc *time.Location
	// windows is canonical: sorted by start then length, with at most one
	// window per start and length (their days merged).
	windows  []Window
	blackout Blackout
}

// newSchedule returns the schedule of windows in loc (time.Local when nil),
// made canonical.
func newSchedule(loc *time.Location, windows []Window) Schedule {
	if loc == nil {
		loc = time.Local
	}
	byStart := func(a, b Window) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.length, b.length))
	}
	windows = slices.Clone(windows)
	slices.SortFunc(windows, byStart)
	var merged []Window
	for _, w := range windows {
		if n := len(merged); n > 0 && byStart(merged[n-1], w) == 0 {
			merged[n-1].days |= w.days
			continue
		}
		merged = append(merged, w)
	}
	return Schedule{loc: loc, windows: merged}
}

// Empty reports whether s has no windows and no blackout, that is, is always open.
func (s Schedule) Empty() bool {
	return len(s.windows) == 0 && s.blackout.Empty()
}

// WithBlackout returns s with b's dates closed, in s's location: a window open on a blacked-out
// date closes at its midnight and opens again, if still due, at the next midnight.
func (s Schedule) WithBlackout(b Blackout) Schedule {
	s.blackout, s.loc = b, s.Location()
	return s
}

// Blackout returns s's blackout dates.
func (s Schedule) Blackout() Blackout { return s.blackout }

// Location returns the time zone of s's wall-clock times; [time.Local] for
// the zero Schedule.
func (s Schedule) Location() *time.Location {
	if s.loc == nil {
		return time.Local
	}
	return s.loc
}

// Windows returns a copy of s's windows in canonical order (by start time,
// then length); windows with the same start and length are merged into one
// with the union of their days. It returns nil for an empty Schedule.
func (s Schedule) Windows() []Window {
	return slices.Clone(s.windows)
}

// String returns s in the extended form: its windows in canonical order,
// separated by "; ", e.g. "Sat,Sun 02:00 4h; Mon-Fri 04:00 1h". The location
// is not part of it. [ParseSchedule] of the result, in the same location,
// returns a Schedule equal to s, less its blackout (see [Schedule.Blackout]). The empty
// Schedule is "".
func (s Schedule) String() string {
	parts := make([]string, len(s.windows))
	for i, w := range s.windows {
		parts[i] = w.String()
	}
	return strings.Join(parts, "; ")
}

// span is a half-open interval of time [start, end).
type span struct{ start, end time.Time }

func (sp span) contains(t time.Time) bool {
	return !t.Before(sp.start) && t.Before(sp.end)
}

// openings returns the openings of s's windows due on the local date day
// (days since 1970-01-01), ordered by start.
func (s Schedule) openings(day int64) []span {
	var out []span
	for _, w := range s.windows {
		if w.days.has(weekday(day)) {
			start := s.reading(day, w.start)
			out = append(out, span{start, start.Add(w.length)})
		}
	}
	return out
}

// reading returns the instant a window due on day at minute (after local
// midnight) opens.
func (s Schedule) reading(day int64, minute int) time.Time {
	return firstReading(day*secondsPerDay+int64(minute)*60, s.loc)
}

// Contains reports whether t, in any location, lies inside one of s's
// windows: at or after a window's opening and before its closing. It is true
// for every t when s is empty.
func (s Schedule) Contains(t time.Time) bool {
	if !s.blackout.Empty() && s.blackout.covers(localDay(t, s.loc)) {
		return false
	}
	if len(s.windows) == 0 {
		return true
	}
	today := localDay(t, s.loc)
	for day := today - lookbackDays; day <= today+1; day++ {
		for _, o := range s.openings(day) {
			if o.contains(t) {
				return true
			}
		}
	}
	return false
}

// Next returns the run of open time that contains t, or, when t is outside
// every window, the first run that starts after t. A run is one window's
// opening or several openings merged because they overlap or touch (one
// closing exactly when the next opens); start is inclusive and end
// exclusive, so s.Contains(t) == (!t.Before(start) && t.Before(end)).
// start and end are in s's location; t may be in any.
//
// Next looks at most 400 days back and forward from t: a run that began
// earlier is reported from its first opening within that span, and one that
// lasts longer ends at [Forever]. For an empty Schedule it returns t and
// [Forever]. Blackout dates split runs at their midnights; when no time is open within the
// horizon, both are Forever.
func (s Schedule) Next(t time.Time) (start, end time.Time) {
	start, end = s.windowsNext(t)
	if s.blackout.Empty() {
		return start, end
	}
	limit := localDay(t, s.loc) + horizonDays
	for {
		day := localDay(start, s.loc)
		if day > limit {
			return Forever, Forever
		}
		if !s.blackout.covers(day) {
			// The run goes on until it ends or a blackout date begins; one that begins by t
			// leaves t closed, and the search goes on after it.
			cut := s.firstBlackout(day+1, min(localDay(end, s.loc), limit))
			if cut.IsZero() {
				return start, end
			}
			if cut.After(t) {
				return start, earlier(end, cut)
			}
			start = cut
			continue
		}
		for s.blackout.covers(day) && day <= limit {
			day++
		}
		after := s.reading(day, 0) // the midnight that ends the blackout
		if after.Before(end) {
			start = after
			continue
		}
		start, end = s.windowsNext(after)
	}
}

// firstBlackout returns the midnight that begins the first blacked-out date from day to last,
// or the zero Time if none is.
func (s Schedule) firstBlackout(day, last int64) time.Time {
	for ; day <= last; day++ {
		if s.blackout.covers(day) {
			return s.reading(day, 0)
		}
	}
	return time.Time{}
}

// windowsNext is Next without the blackout.
func (s Schedule) windowsNext(t time.Time) (start, end time.Time) {
	if len(s.windows) == 0 {
		return t, Forever
	}
	today := localDay(t, s.loc)
	run := s.runEndingAfter(t, today)
	return s.runStart(run.start, today-horizonDays), run.end
}

// runEndingAfter returns the first run of openings that ends after t, whose
// local date is today, merging openings in order of start. Its start may be
// later than the run's true start when an opening due before the lookback
// reaches it; runStart corrects that.
func (s Schedule) runEndingAfter(t time.Time, today int64) span {
	var run span
	for day := today - lookbackDays; day <= today+horizonDays; day++ {
		for _, o := range s.openings(day) {
			if !run.end.IsZero() && !o.start.After(run.end) {
				run.end = later(run.end, o.end)
				continue
			}
			if run.end.After(t) {
				return run // o opens after a gap: run is complete
			}
			run = o
		}
	}
	run.end = Forever
	return run
}

// runStart returns the start of the run that begins no later than start, an
// opening's start, following it back through openings that reach it, but not
// through openings due before the local date limit.
func (s Schedule) runStart(start time.Time, limit int64) time.Time {
	longest := slices.MaxFunc(s.windows, func(a, b Window) int { return cmp.Compare(a.length, b.length) }).length
	for day := localDay(start, s.loc) + 1; day >= limit; day-- {
		// Openings due on day or earlier open by the next local midnight.
		if s.reading(day+1, 0).Add(longest).Before(start) {
			break
		}
		for _, o := range slices.Backward(s.openings(day)) {
			if o.start.Before(start) && !o.end.Before(start) {
				start = o.start
			}
		}
	}
	return start
}

// earlier returns the earlier of a and b.
func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
