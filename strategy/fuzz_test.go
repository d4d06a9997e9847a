package strategy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/strategy"
)

// probes are instants at which fuzzed schedules are compared: around the
// turn of a week, midnight, and both of New York's 2026 DST changes.
var probes = []string{
	"2026-01-03T23:59:59Z", "2026-01-05T04:30:00Z", "2026-01-07T12:00:00-05:00",
	"2026-03-08T06:59:59Z", "2026-03-08T07:30:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z",
}

// checkRoundTrip fails t unless s.String() parses back, in s's location, to a
// schedule with the same string that answers every probe the same way, and
// unless Next agrees with Contains.
func checkRoundTrip(t *testing.T, s strategy.Schedule) {
	t.Helper()
	text := s.String()
	again, err := strategy.ParseSchedule(text, s.Location())
	if err != nil {
		t.Fatalf("ParseSchedule(%q) of String(): %v", text, err)
	}
	if again.String() != text || again.Empty() != s.Empty() {
		t.Fatalf("ParseSchedule(%q).String() = %q, want it unchanged", text, again)
	}
	for _, p := range probes {
		ts := at(t, p)
		in := s.Contains(ts)
		start, end := s.Next(ts)
		startAgain, endAgain := again.Next(ts)
		if again.Contains(ts) != in || !start.Equal(startAgain) || !end.Equal(endAgain) {
			t.Fatalf("%q at %s: Contains %v, Next %s %s; after the round trip %v, %s %s",
				text, p, in, start, end, again.Contains(ts), startAgain, endAgain)
		}
		if inNext := !ts.Before(start) && ts.Before(end); inNext != in {
			t.Fatalf("%q at %s: Contains = %v, but Next = %s, %s", text, p, in, start, end)
		}
	}
}

// checkParseError fails t unless err wraps ErrInvalidWindow and quotes one of
// inputs.
func checkParseError(t *testing.T, err error, inputs ...string) {
	t.Helper()
	if !errors.Is(err, strategy.ErrInvalidWindow) {
		t.Fatalf("error %v does not wrap ErrInvalidWindow", err)
	}
	for _, in := range inputs {
		if strings.Contains(err.Error(), quote(in)) {
			return
		}
	}
	t.Fatalf("error %q quotes none of %q", err, inputs)
}

func FuzzParseSchedule(f *testing.F) {
	for _, seed := range []string{
		"", " ", "04:00 1h", "4:00 30m", "Thu 04:00 1h", "thu 23:59 167h59m59s",
		"Mon-Fri 04:00 1h; Sat,Sun 02:00 4h; 03:00 30m", "Fri-Mon 04:00 1h", "Sun,Mon,Wed 1:00 90m",
		"Mon-Sun 04:00 30h", "00:00 12h; 12:00 12h", "22:00 2h; 00:00 1h", "02:30 1h", "01:30 1h",
		"Sat 00:00 80h; Mon 00:00 60h", "23:00 23h59m59.999999999s", "12:00 1ns",
		"04:00pm 1h", "24:00 1h", "12:60 1h", "04:00:30 1h", "Mon-Mon 04:00 1h", "Mon,,Tue 04:00 1h",
		"04:00 1h;", ";", "04:00 24h", "Sat 04:00 168h", "04:00 -1h", "04:00 0", "Mon 04:00",
		"Mon-Wed-Fri 04:00 1h", "\u00a0Mon 04:00 1h", "Mon 04:00 1h\x00",
	} {
		f.Add(seed)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := strategy.ParseSchedule(spec, ny)
		if err != nil {
			checkParseError(t, err, spec)
			return
		}
		checkRoundTrip(t, s)
	})
}

func FuzzParseLocksmithWindow(f *testing.F) {
	for _, seed := range [][2]string{
		{"", ""}, {"04:00", "1h"}, {"4:00", "1h30m"}, {"thu 04:00", "1h"}, {"  Sun   00:00 ", " 167h59m59s "},
		{"Sat 22:00", "30h"}, {"02:30", "1h"}, {"01:30", "2h"}, {"23:59", "23h59m59s"}, {"12:00", "1ns"},
		{"04:00pm", "1h"}, {"04:00:30", "1h"}, {"24:00", "1h"}, {"12:60", "1h"}, {"Thursday 04:00", "1h"},
		{"04:00", "-1h"}, {"04:00", "0"}, {"04:00", "24h"}, {"Thu 04:00", "168h"}, {"04:00", ""}, {"", "1h"},
		{"4:5", "1h"}, {"Mon-Fri 04:00", "1h"}, {"Thu 04:00", "1x"}, {"+4:00", "1h"},
	} {
		f.Add(seed[0], seed[1])
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, start, length string) {
		s, err := strategy.ParseLocksmithWindow(start, length, berlin)
		if err != nil {
			checkParseError(t, err, strings.TrimSpace(start), strings.TrimSpace(length))
			return
		}
		checkRoundTrip(t, s)
		// The extended form reads a locksmith window written on one line
		// the same way.
		if !s.Empty() {
			line := strings.TrimSpace(start) + " " + strings.TrimSpace(length)
			ext, err := strategy.ParseSchedule(line, berlin)
			if err != nil || ext.String() != s.String() {
				t.Fatalf("ParseSchedule(%q) = %q, %v; want %q as ParseLocksmithWindow(%q, %q)", line, ext, err, s, start, length)
			}
		}
	})
}
