package strategy

import (
	"testing"
	"time"
)

// slowFirstReading is firstReading done by brute force on a 15-minute grid:
// the first instant from 26h before wall at which the clock reads wall or
// later. It is exact for walls and zone transitions on that grid, which
// holds for the zones and dates tested.
func slowFirstReading(wall int64, loc *time.Location) time.Time {
	for u := wall - maxOffset; ; u += 15 * 60 {
		_, offset := time.Unix(u, 0).In(loc).Zone()
		if u+int64(offset) >= wall {
			return time.Unix(u, 0).In(loc)
		}
	}
}

// transitionDays returns the local dates (days since 1970-01-01) on which
// loc's offset changes in year (or on the last day before it), with the days
// before and after, in order.
func transitionDays(t *testing.T, loc *time.Location, year int) []int64 {
	t.Helper()
	var days []int64
	at := time.Date(year-1, time.December, 31, 0, 0, 0, 0, loc)
	for {
		_, end := at.ZoneBounds()
		if end.IsZero() || end.Year() > year {
			return days
		}
		d := localDay(end, loc)
		days = append(days, d-1, d, d+1)
		at = end
	}
}

func TestFirstReadingMatchesBruteForce(t *testing.T) {
	for _, tc := range []struct {
		zone  string
		year  int
		extra int // how many transitions are expected at least
	}{
		{"America/New_York", 2026, 2},
		{"Europe/Berlin", 2026, 2},
		{"Australia/Lord_Howe", 2026, 2},  // 30-minute DST
		{"America/Sao_Paulo", 2018, 2},    // transitions at midnight
		{"Pacific/Apia", 2011, 3},         // skipped a whole day
		{"America/St_Johns", 2026, 2},     // offset -3:30
		{"Asia/Kathmandu", 1986, 1},       // +5:30 to +5:45
		{"Antarctica/Troll", 2026, 2},     // two-hour DST
		{"Africa/Casablanca", 2026, 2},    // DST suspended for Ramadan
		{"America/Scoresbysund", 2024, 2}, // changed rules in 2024
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		days := transitionDays(t, loc, tc.year)
		if len(days) < 3*tc.extra {
			t.Errorf("%s in %d: found %d transition days, want at least %d", tc.zone, tc.year, len(days)/3, tc.extra)
		}
		for _, day := range days {
			for minute := 0; minute < 24*60; minute += 15 {
				wall := day*secondsPerDay + int64(minute)*60
				got, want := firstReading(wall, loc), slowFirstReading(wall, loc)
				if !got.Equal(want) {
					t.Errorf("%s: firstReading(%s) = %s, want %s", tc.zone,
						time.Unix(wall, 0).UTC().Format("2006-01-02 15:04"), got, want)
				}
			}
		}
	}
}

func TestFirstReadingNeverDecreases(t *testing.T) {
	for _, zone := range []string{"America/New_York", "Pacific/Apia", "America/Sao_Paulo", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		for _, year := range []int{2011, 2018, 2026} {
			var prev time.Time
			for _, day := range transitionDays(t, loc, year) {
				for minute := 0; minute < 24*60; minute++ {
					got := firstReading(day*secondsPerDay+int64(minute)*60, loc)
					if got.Before(prev) {
						t.Errorf("%s: reading %d min after local day %d is %s, before the one a minute earlier, %s", zone, minute, day, got, prev)
					}
					prev = got
				}
			}
		}
	}
}

func TestLocalDayAndWeekday(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t   time.Time
		loc *time.Location
	}{
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC},
		{time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.UTC},
		{time.Date(1900, 3, 4, 5, 6, 7, 0, time.UTC), ny},
		{time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC), ny}, // Sunday evening in New York
		{time.Date(2026, 11, 1, 1, 30, 0, 0, ny), ny},
	} {
		local := tc.t.In(tc.loc)
		y, m, d := local.Date()
		wantDay := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay
		if got := localDay(tc.t, tc.loc); got != wantDay {
			t.Errorf("localDay(%s) = %d, want %d", local, got, wantDay)
		}
		if got := weekday(localDay(tc.t, tc.loc)); got != local.Weekday() {
			t.Errorf("weekday(localDay(%s)) = %v, want %v", local, got, local.Weekday())
		}
	}
}
