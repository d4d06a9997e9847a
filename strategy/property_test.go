package strategy_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/strategy"
)

// randomSpec returns an extended-form spec of one to three random windows:
// daily, on a range of days or on a list of two, half of them short enough
// to leave gaps.
func randomSpec(r *rand.Rand) string {
	names := []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	windows := make([]string, 1+r.IntN(3))
	for i := range windows {
		first, last := names[r.IntN(7)], names[r.IntN(7)]
		days, limit := "", 7*24*time.Hour
		switch {
		case r.IntN(3) == 0:
			limit = 24 * time.Hour
		case first == last:
			days = first + " "
		case r.IntN(2) == 0:
			days = first + "-" + last + " "
		default:
			days = first + "," + last + " "
		}
		length := time.Duration(1+r.Int64N(int64(limit/time.Minute)-1)) * time.Minute
		if r.IntN(2) == 0 {
			length = time.Duration(1+r.IntN(180)) * time.Minute
		}
		windows[i] = fmt.Sprintf("%s%02d:%02d %s", days, r.IntN(24), r.IntN(60), length)
	}
	return strings.Join(windows, "; ")
}

// TestNextAgreesWithContains checks, for random schedules in zones with and
// without daylight-saving time and random instants, that the run Next
// reports holds exactly the instants Contains accepts around it.
func TestNextAgreesWithContains(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zones := []string{"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kathmandu"}
	from, to := at(t, "2010-01-01T00:00:00Z").Unix(), at(t, "2030-01-01T00:00:00Z").Unix()
	for range 200 {
		zone := zones[r.IntN(len(zones))]
		spec := randomSpec(r)
		s := schedule(t, spec, zone)
		for range 15 {
			ts := time.Unix(from+r.Int64N(to-from), r.Int64N(1e9))
			if r.IntN(2) == 0 {
				// Near the edge of a window.
				start, _ := s.Next(ts)
				ts = start.Add(time.Duration(r.Int64N(int64(4*time.Hour))) - 2*time.Hour)
			}
			checkNext(t, s, ts)
		}
	}
}

func checkNext(t *testing.T, s strategy.Schedule, ts time.Time) {
	t.Helper()
	in := s.Contains(ts)
	start, end := s.Next(ts)
	where := fmt.Sprintf("%q in %s at %s: Next = %s, %s", s, s.Location(), ts.UTC().Format(time.RFC3339Nano),
		start.Format(time.RFC3339), end.Format(time.RFC3339))
	if inNext := !ts.Before(start) && ts.Before(end); inNext != in {
		t.Fatalf("%s, but Contains = %v", where, in)
	}
	if !start.Before(end) || !s.Contains(start) {
		t.Fatalf("%s: the run is empty or does not contain its start", where)
	}
	if !end.Equal(strategy.Forever) && (s.Contains(end) || !s.Contains(end.Add(-time.Nanosecond))) {
		t.Fatalf("%s: the run does not end at end", where)
	}
	// Next follows a run back 400 days, to the first opening due from then.
	if start.After(ts.AddDate(0, 0, -390)) && s.Contains(start.Add(-time.Nanosecond)) {
		t.Fatalf("%s: the run does not begin at start", where)
	}
	if !in {
		gap := start.Sub(ts)
		for k := range 4 {
			if probe := ts.Add(gap / 4 * time.Duration(k)); s.Contains(probe) {
				t.Fatalf("%s: Contains(%s) in the gap before the run", where, probe)
			}
		}
	}
}

// TestContainsUTCReference checks Contains in UTC against plain modular
// arithmetic over the week.
func TestContainsUTCReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	from, to := at(t, "2000-01-01T00:00:00Z").Unix(), at(t, "2040-01-01T00:00:00Z").Unix()
	for range 300 {
		s := schedule(t, randomSpec(r), "UTC")
		for range 30 {
			ts := time.Unix(from+r.Int64N(to-from), 0).UTC()
			if got, want := s.Contains(ts), inUTCWeek(s, ts); got != want {
				t.Fatalf("%q: Contains(%s) = %v, want %v", s, ts.Format(time.RFC3339), got, want)
			}
		}
	}
}

// inUTCWeek reports whether ts is less than a window's length after one of
// its openings in the last week, in UTC.
func inUTCWeek(s strategy.Schedule, ts time.Time) bool {
	for _, w := range s.Windows() {
		hour, minute := w.Start()
		for back := range 8 {
			day := ts.AddDate(0, 0, -back)
			open := time.Date(day.Year(), day.Month(), day.Day(), hour, minute, 0, 0, time.UTC)
			for _, wd := range w.Weekdays() {
				if wd == open.Weekday() && !ts.Before(open) && ts.Sub(open) < w.Length() {
					return true
				}
			}
		}
	}
	return false
}
