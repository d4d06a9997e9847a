package strategy_test

import (
	"testing"
	"time"

	"locksmith.dev/locksmith/strategy"
)

// blackout parses a blackout spec or fails the test.
func blackout(t testing.TB, spec string) strategy.Blackout {
	t.Helper()
	b, err := strategy.ParseBlackout(spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseBlackoutCanonicalForm(t *testing.T) {
	for spec, want := range map[string]string{
		"":                               "",
		"dec 24 - JAN 2;  2027-03-31":    "Dec 24-Jan 2; 2027-03-31",
		"Dec 24-31":                      "Dec 24-Dec 31",
		"Feb 29":                         "Feb 29",
		"2027-03-29 - 2027-03-31; Jul 4": "2027-03-29-2027-03-31; Jul 4",
		"2027-03-29-2027-03-29":          "2027-03-29",
		"Jan 01":                         "Jan 1",
	} {
		b := blackout(t, spec)
		if b.String() != want {
			t.Errorf("ParseBlackout(%q) = %q, want %q", spec, b, want)
		}
		if again := blackout(t, b.String()); again.String() != b.String() {
			t.Errorf("ParseBlackout(%q) = %q: not canonical", b, again)
		}
	}
}

func TestParseBlackoutErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"Dec 32":                `blackout "Dec 32": day "32" of Dec: want a number from 1 to 31`,
		"Feb 30":                `blackout "Feb 30": day "30" of Feb: want a number from 1 to 29`,
		"Christmas":             `blackout "Christmas": "Christmas": want a month name and a day, e.g. "Dec 24"`,
		"Dez 24":                `blackout "Dez 24": unknown month "Dez"; want one of Jan, Feb, Mar, Apr, May, Jun, Jul, Aug, Sep, Oct, Nov, Dec (any case)`,
		"2027-02-29":            `blackout "2027-02-29": date "2027-02-29": want YYYY-MM-DD, a real date, e.g. 2027-03-31`,
		"2027-3-31":             `blackout "2027-3-31": date "2027-3-31": want YYYY-MM-DD, a real date, e.g. 2027-03-31`,
		"2027-03-31-2027-03-01": `blackout "2027-03-31-2027-03-01": the range ends before it begins`,
		"2027-03-31 2027-04-01": `blackout "2027-03-31 2027-04-01": trailing "2027-04-01" after the date; want YYYY-MM-DD or YYYY-MM-DD-YYYY-MM-DD`,
		"Jul 4;":                `blackout "Jul 4;": "": empty blackout; want "Mon D[-Mon D]" or "YYYY-MM-DD[-YYYY-MM-DD]", e.g. "Dec 24-Jan 2"`,
		"Dec 24-Jan 2-Jan 3":    `blackout "Dec 24-Jan 2-Jan 3": "Jan 2-Jan 3": want a month name and a day, e.g. "Dec 24"`,
		"Dec +4":                `blackout "Dec +4": day "+4" of Dec: want a number from 1 to 31`,
	} {
		_, err := strategy.ParseBlackout(spec)
		checkError(t, "ParseBlackout("+quote(spec)+")", err, strategy.ErrInvalidWindow, want)
	}
}

// Blacked-out dates close the windows from local midnight to local midnight, in the schedule's
// zone, every year for month-day dates.
func TestBlackoutClosesWholeLocalDays(t *testing.T) {
	berlin := schedule(t, "02:00 4h", "Europe/Berlin").WithBlackout(blackout(t, "Dec 24-Jan 2; 2027-03-31"))
	always := schedule(t, "", "Europe/Berlin").WithBlackout(blackout(t, "Dec 24-Jan 2"))
	tests := []struct {
		s          strategy.Schedule
		at         string
		in         bool
		start, end string
	}{
		// Dec 23 03:00 Berlin: open, and the run ends at the window's close.
		{berlin, "2026-12-23T02:00:00Z", true, "2026-12-23T02:00:00+01:00", "2026-12-23T06:00:00+01:00"},
		// Dec 24 03:00 Berlin: blacked out; the next window is Jan 3.
		{berlin, "2026-12-24T02:00:00Z", false, "2027-01-03T02:00:00+01:00", "2027-01-03T06:00:00+01:00"},
		// Jan 2 of the next year too: the dates are yearly.
		{berlin, "2028-01-02T02:00:00Z", false, "2028-01-03T02:00:00+01:00", "2028-01-03T06:00:00+01:00"},
		// The one-off date, and the day after it.
		{berlin, "2027-03-31T01:00:00Z", false, "2027-04-01T02:00:00+02:00", "2027-04-01T06:00:00+02:00"},
		{berlin, "2028-03-31T01:00:00Z", true, "2028-03-31T02:00:00+02:00", "2028-03-31T06:00:00+02:00"},
		// Always open but for the blackout: the run ends at local midnight of Dec 24, which is
		// still Dec 23 in UTC.
		{always, "2026-12-23T12:00:00+01:00", true, "2026-12-23T12:00:00+01:00", "2026-12-24T00:00:00+01:00"},
		{always, "2026-12-23T23:30:00Z", false, "2027-01-03T00:00:00+01:00", "2027-12-24T00:00:00+01:00"},
	}
	for _, tt := range tests {
		ts := at(t, tt.at)
		if got := tt.s.Contains(ts); got != tt.in {
			t.Errorf("Contains(%s) = %v, want %v", tt.at, got, tt.in)
		}
		start, end := tt.s.Next(ts)
		if !start.Equal(at(t, tt.start)) || !end.Equal(at(t, tt.end)) {
			t.Errorf("Next(%s) = %s, %s; want %s, %s", tt.at, start, end, tt.start, tt.end)
		}
	}
	never := strategy.Schedule{}.WithBlackout(blackout(t, "Jan 1-Dec 31"))
	if start, end := never.Next(at(t, "2026-06-01T00:00:00Z")); !start.Equal(strategy.Forever) || !end.Equal(strategy.Forever) {
		t.Errorf("Next of a schedule blacked out all year = %s, %s; want Forever", start, end)
	}
}

// A window that runs over a blackout's midnight closes there and opens again at the next one.
func TestBlackoutSplitsAWindowAtMidnight(t *testing.T) {
	s := schedule(t, "Fri 20:00 60h", "UTC").WithBlackout(blackout(t, "2026-12-05"))
	start, end := s.Next(at(t, "2026-12-04T21:00:00Z"))
	if want := at(t, "2026-12-05T00:00:00Z"); !start.Equal(at(t, "2026-12-04T20:00:00Z")) || !end.Equal(want) {
		t.Errorf("Next on Friday = %s, %s; want the run cut at %s", start, end, want)
	}
	start, end = s.Next(at(t, "2026-12-05T10:00:00Z"))
	if !start.Equal(at(t, "2026-12-06T00:00:00Z")) || !end.Equal(at(t, "2026-12-07T08:00:00Z")) {
		t.Errorf("Next on the blacked-out Saturday = %s, %s; want Sunday 00:00 to Monday 08:00", start, end)
	}
}

func FuzzParseBlackout(f *testing.F) {
	for _, seed := range []string{
		"", "Dec 24-Jan 2; 2027-03-31", "Feb 29", "Dec 24-31", "2027-03-29-2027-03-31", "jul 4",
		"Dec 32", "2027-02-29", "Jul 4;", ";", "Dec 24--Jan 2", "2027-03-31-", "-", "Dec\u00a024", "2027-03-31x",
		"Dec 24-Jan", "Jan 1-Dec 31", "99999-01-01", "0000-01-01",
	} {
		f.Add(seed)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	windows, err := strategy.ParseSchedule("Sat,Sun 22:00 4h; 04:00 1h", ny)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		b, err := strategy.ParseBlackout(spec)
		if err != nil {
			checkParseError(t, err, spec)
			return
		}
		again, err := strategy.ParseBlackout(b.String())
		if err != nil || again.String() != b.String() {
			t.Fatalf("ParseBlackout(%q) = %q, %v: String does not parse back", b, again, err)
		}
		for _, s := range []strategy.Schedule{windows.WithBlackout(b), strategy.Schedule{}.WithBlackout(b)} {
			for _, p := range probes {
				ts := at(t, p)
				in := s.Contains(ts)
				start, end := s.Next(ts)
				if inNext := !ts.Before(start) && ts.Before(end); inNext != in {
					t.Fatalf("%q at %s: Contains = %v, but Next = %s, %s", b, p, in, start, end)
				}
				if !start.Equal(strategy.Forever) && (!s.Contains(start) || !end.After(start)) {
					t.Fatalf("%q at %s: Next = %s, %s, but it is closed at its start", b, p, start, end)
				}
			}
		}
	})
}
