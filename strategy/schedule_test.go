package strategy_test

import (
	"testing"
	"time"

	"locksmith.dev/locksmith/strategy"
)

// nextCase is one instant asked about: whether it is inside the schedule and
// the run Next reports for it.
type nextCase struct {
	name       string
	spec, zone string
	t          string // RFC 3339, the instant asked about
	in         bool
	start, end string // RFC 3339, what Next returns
}

const forever = "9999-12-31T23:59:59Z"

func runNextCases(t *testing.T, cases []nextCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := schedule(t, tc.spec, tc.zone)
			ts := at(t, tc.t)
			if got := s.Contains(ts); got != tc.in {
				t.Errorf("%q in %s: Contains(%s) = %v, want %v", tc.spec, tc.zone, tc.t, got, tc.in)
			}
			start, end := s.Next(ts)
			wantStart, wantEnd := at(t, tc.start), at(t, tc.end)
			if !start.Equal(wantStart) || !end.Equal(wantEnd) {
				t.Errorf("%q in %s: Next(%s) = %s, %s; want %s, %s", tc.spec, tc.zone, tc.t,
					start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano), tc.start, tc.end)
			}
			if start.Location() != s.Location() || (!end.Equal(strategy.Forever) && end.Location() != s.Location()) {
				t.Errorf("Next(%s) = %s, %s; want both in %s", tc.t, start, end, s.Location())
			}
		})
	}
}

func TestNextUTC(t *testing.T) {
	runNextCases(t, []nextCase{
		// A daily window across midnight.
		{"before", "23:00 2h", "UTC", "2026-01-01T22:59:59Z", false, "2026-01-01T23:00:00Z", "2026-01-02T01:00:00Z"},
		{"at opening", "23:00 2h", "UTC", "2026-01-01T23:00:00Z", true, "2026-01-01T23:00:00Z", "2026-01-02T01:00:00Z"},
		{"after midnight", "23:00 2h", "UTC", "2026-01-02T00:30:00Z", true, "2026-01-01T23:00:00Z", "2026-01-02T01:00:00Z"},
		{"last instant", "23:00 2h", "UTC", "2026-01-02T00:59:59.999999999Z", true, "2026-01-01T23:00:00Z", "2026-01-02T01:00:00Z"},
		{"at closing", "23:00 2h", "UTC", "2026-01-02T01:00:00Z", false, "2026-01-02T23:00:00Z", "2026-01-03T01:00:00Z"},
		{"new year", "23:00 2h", "UTC", "2026-12-31T23:59:59Z", true, "2026-12-31T23:00:00Z", "2027-01-01T01:00:00Z"},

		// Weekly windows across the end of the week (2026-01-03 is a Saturday).
		{"Sat-Mon before", "Sat 22:00 30h", "UTC", "2026-01-03T21:59:00Z", false, "2026-01-03T22:00:00Z", "2026-01-05T04:00:00Z"},
		{"Sat-Mon Sunday", "Sat 22:00 30h", "UTC", "2026-01-04T12:00:00Z", true, "2026-01-03T22:00:00Z", "2026-01-05T04:00:00Z"},
		{"Sat-Mon Monday", "Sat 22:00 30h", "UTC", "2026-01-05T03:59:59Z", true, "2026-01-03T22:00:00Z", "2026-01-05T04:00:00Z"},
		{"Sat-Mon closed", "Sat 22:00 30h", "UTC", "2026-01-05T04:00:00Z", false, "2026-01-10T22:00:00Z", "2026-01-12T04:00:00Z"},
		{"Sun night", "Sun 23:00 2h", "UTC", "2026-01-05T00:30:00Z", true, "2026-01-04T23:00:00Z", "2026-01-05T01:00:00Z"},
		{"Sun night next", "Sun 23:00 2h", "UTC", "2026-01-05T01:00:00Z", false, "2026-01-11T23:00:00Z", "2026-01-12T01:00:00Z"},
		{"wrapping range Sun", "Fri-Mon 04:00 1h", "UTC", "2026-01-04T04:00:00Z", true, "2026-01-04T04:00:00Z", "2026-01-04T05:00:00Z"},
		{"wrapping range Mon", "Fri-Mon 04:00 1h", "UTC", "2026-01-05T04:30:00Z", true, "2026-01-05T04:00:00Z", "2026-01-05T05:00:00Z"},
		{"wrapping range Tue", "Fri-Mon 04:00 1h", "UTC", "2026-01-06T04:30:00Z", false, "2026-01-09T04:00:00Z", "2026-01-09T05:00:00Z"},
		{"list", "Sat,Sun 02:00 4h; Mon-Fri 04:00 1h", "UTC", "2026-01-02T05:00:00Z", false, "2026-01-03T02:00:00Z", "2026-01-03T06:00:00Z"},

		// Overlapping and touching windows form one run.
		{"overlap weekday", "Mon-Fri 04:00 1h; 04:30 1h", "UTC", "2026-01-05T04:45:00Z", true, "2026-01-05T04:00:00Z", "2026-01-05T05:30:00Z"},
		{"overlap before", "Mon-Fri 04:00 1h; 04:30 1h", "UTC", "2026-01-05T03:00:00Z", false, "2026-01-05T04:00:00Z", "2026-01-05T05:30:00Z"},
		{"overlap weekend", "Mon-Fri 04:00 1h; 04:30 1h", "UTC", "2026-01-03T04:15:00Z", false, "2026-01-03T04:30:00Z", "2026-01-03T05:30:00Z"},
		{"overlap closed", "Mon-Fri 04:00 1h; 04:30 1h", "UTC", "2026-01-05T05:30:00Z", false, "2026-01-06T04:00:00Z", "2026-01-06T05:30:00Z"},
		{"touching across midnight", "22:00 2h; 00:00 1h", "UTC", "2026-01-01T23:30:00Z", true, "2026-01-01T22:00:00Z", "2026-01-02T01:00:00Z"},
		{"touching after midnight", "22:00 2h; 00:00 1h", "UTC", "2026-01-02T00:30:00Z", true, "2026-01-01T22:00:00Z", "2026-01-02T01:00:00Z"},
		{"same window twice", "04:00 1h; 04:00 2h", "UTC", "2026-01-02T05:30:00Z", true, "2026-01-02T04:00:00Z", "2026-01-02T06:00:00Z"},
		{"daily gap", "20:00 23h", "UTC", "2026-01-02T12:00:00Z", true, "2026-01-01T20:00:00Z", "2026-01-02T19:00:00Z"},
		{"daily gap outside", "20:00 23h", "UTC", "2026-01-02T19:30:00Z", false, "2026-01-02T20:00:00Z", "2026-01-03T19:00:00Z"},
		{"working week", "Mon-Fri 00:00 24h", "UTC", "2026-01-07T12:00:00Z", true, "2026-01-05T00:00:00Z", "2026-01-10T00:00:00Z"},
		{"working week from Sat", "Mon-Fri 00:00 24h", "UTC", "2026-01-10T00:00:00Z", false, "2026-01-12T00:00:00Z", "2026-01-17T00:00:00Z"},
		{"chained weekly", "Sat 00:00 80h; Mon 00:00 60h", "UTC", "2026-01-06T12:00:00Z", true, "2026-01-03T00:00:00Z", "2026-01-07T12:00:00Z"},
		{"chained weekly gap", "Sat 00:00 80h; Mon 00:00 60h", "UTC", "2026-01-07T12:00:00Z", false, "2026-01-10T00:00:00Z", "2026-01-14T12:00:00Z"},
		// Windows that cover all time: the run is followed 400 days back
		// and reported as never ending.
		{"always", "Mon-Sun 00:00 30h", "UTC", "2026-01-01T12:00:00Z", true, "2024-11-27T00:00:00Z", forever},
		{"always in halves", "00:00 12h; 12:00 12h", "UTC", "2026-01-01T12:00:00Z", true, "2024-11-27T00:00:00Z", forever},

		// The instant asked about may be in any zone; the answer is in the schedule's.
		{"Tokyo", "Mon 09:00 1h", "Asia/Tokyo", "2026-01-04T19:30:00-05:00", true, "2026-01-05T09:00:00+09:00", "2026-01-05T10:00:00+09:00"},
		{"Tokyo next", "Mon 09:00 1h", "Asia/Tokyo", "2026-01-04T20:00:00-05:00", false, "2026-01-12T09:00:00+09:00", "2026-01-12T10:00:00+09:00"},
		{"Kiritimati", "Sun 23:30 1h", "Pacific/Kiritimati", "2026-01-04T10:00:00Z", true, "2026-01-04T23:30:00+14:00", "2026-01-05T00:30:00+14:00"},
		{"Pago Pago", "Sun 23:30 1h", "Pacific/Pago_Pago", "2026-01-05T10:45:00Z", true, "2026-01-04T23:30:00-11:00", "2026-01-05T00:30:00-11:00"},
		{"UTC in Berlin's eyes", "04:00 1h", "UTC", "2026-01-02T05:30:00+01:00", true, "2026-01-02T04:00:00Z", "2026-01-02T05:00:00Z"},
	})
}

func TestEmptyScheduleAlwaysOpen(t *testing.T) {
	ny := location(t, "America/New_York")
	for _, s := range []strategy.Schedule{{}, schedule(t, "", "UTC"), mustLocksmith(t, "", "", ny)} {
		for _, ts := range []time.Time{at(t, "2026-03-08T07:00:00Z"), time.Time{}, at(t, "9999-12-31T23:59:58Z")} {
			if !s.Empty() || !s.Contains(ts) || s.String() != "" {
				t.Errorf("empty schedule in %v: Empty() = %v, Contains(%v) = %v, String() = %q; want true, true, \"\"",
					s.Location(), s.Empty(), ts, s.Contains(ts), s)
			}
			if start, end := s.Next(ts); start != ts || end != strategy.Forever {
				t.Errorf("empty schedule: Next(%v) = %v, %v; want %v, Forever", ts, start, end, ts)
			}
		}
	}
}

func mustLocksmith(t testing.TB, start, length string, loc *time.Location) strategy.Schedule {
	t.Helper()
	s, err := strategy.ParseLocksmithWindow(start, length, loc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
