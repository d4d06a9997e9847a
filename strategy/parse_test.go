package strategy_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/strategy"
)

func TestParseLocksmithWindow(t *testing.T) {
	for _, tc := range []struct{ start, length, want string }{
		{"", "", ""},
		{" ", "\t", ""},
		{"04:00", "1h", "04:00 1h"},
		{"4:00", "1h30m", "04:00 1h30m"},
		{"0:00", "45m", "00:00 45m"},
		{"thu 23:59", "1h", "Thu 23:59 1h"},
		{"MON 12:00", "0.5h", "Mon 12:00 30m"},
		{"Fri 04:00", "90s", "Fri 04:00 1m30s"},
		{"  Sun   00:00 ", " 167h59m59s ", "Sun 00:00 167h59m59s"},
		{"23:00", "23h59m59.999999999s", "23:00 23h59m59.999999999s"},
		{"Sat 22:00", "30h", "Sat 22:00 30h"},
		{"12:00", "1ns", "12:00 1ns"},
	} {
		s, err := strategy.ParseLocksmithWindow(tc.start, tc.length, time.UTC)
		if err != nil {
			t.Errorf("ParseLocksmithWindow(%q, %q): %v", tc.start, tc.length, err)
			continue
		}
		if got := s.String(); got != tc.want {
			t.Errorf("ParseLocksmithWindow(%q, %q) = %q, want %q", tc.start, tc.length, got, tc.want)
		}
		if s.Empty() != (tc.want == "") {
			t.Errorf("ParseLocksmithWindow(%q, %q).Empty() = %v", tc.start, tc.length, s.Empty())
		}
		if s.Location() != time.UTC {
			t.Errorf("ParseLocksmithWindow(%q, %q).Location() = %v, want UTC", tc.start, tc.length, s.Location())
		}
	}
}

func TestParseLocksmithWindowErrors(t *testing.T) {
	for _, tc := range []struct{ start, length, want string }{
		{"04:00pm", "1h", `reboot window start "04:00pm": trailing "pm" after HH:MM`},
		{"04:00:30", "1h", `reboot window start "04:00:30": trailing ":30" after HH:MM`},
		{"04:000", "1h", `reboot window start "04:000": trailing "0" after HH:MM`},
		{"24:00", "1h", `reboot window start "24:00": hour 24 out of range 0-23`},
		{"99:00", "1h", `reboot window start "99:00": hour 99 out of range 0-23`},
		{"12:60", "1h", `reboot window start "12:60": minute 60 out of range 00-59`},
		{"4:5", "1h", `reboot window start "4:5": want two-digit minutes after the colon, e.g. 04:05`},
		{"04:", "1h", `reboot window start "04:": want two-digit minutes after the colon, e.g. 04:05`},
		{"004:00", "1h", `reboot window start "004:00": want a 24-hour time HH:MM, e.g. 04:30`},
		{"+4:00", "1h", `reboot window start "+4:00": want a 24-hour time HH:MM, e.g. 04:30`},
		{"04.00", "1h", `reboot window start "04.00": want a 24-hour time HH:MM, e.g. 04:30`},
		{"04", "1h", `reboot window start "04": want a 24-hour time HH:MM, e.g. 04:30`},
		{"Thu", "1h", `reboot window start "Thu": want a 24-hour time HH:MM, e.g. 04:30`},
		{"Thursday 04:00", "1h", `reboot window start "Thursday 04:00": unknown day "Thursday"; want one of Sun, Mon, Tue, Wed, Thu, Fri, Sat (any case)`},
		{"Thr 04:00", "1h", `reboot window start "Thr 04:00": unknown day "Thr"; want one of Sun, Mon, Tue, Wed, Thu, Fri, Sat (any case)`},
		{"Thu Fri 04:00", "1h", `reboot window start "Thu Fri 04:00": want "[Day ]HH:MM", e.g. "04:00" or "Thu 04:00"`},
		{"04:00 Thu", "1h", `reboot window start "04:00 Thu": unknown day "04:00"; want one of Sun, Mon, Tue, Wed, Thu, Fri, Sat (any case)`},
		{"Mon-Fri 04:00", "1h", `reboot window start "Mon-Fri 04:00": a single day is expected before HH:MM; day lists and ranges such as "Mon-Fri" need the extended schedule form`},
		{"04:00", "-1h", `reboot window length "-1h": a window must be open for longer than zero`},
		{"04:00", "0", `reboot window length "0": a window must be open for longer than zero`},
		{"04:00", "0s", `reboot window length "0s": a window must be open for longer than zero`},
		{"04:00", "24h", `reboot window length "24h": a daily window must be shorter than 24h`},
		{"04:00", "1440m", `reboot window length "1440m": a daily window must be shorter than 24h`},
		{"Thu 04:00", "168h", `reboot window length "168h": a window with days must be shorter than 168h`},
		{"Thu 04:00", "1x", `reboot window length "1x": want a Go duration such as "1h30m" or "45m"`},
		{"Thu 04:00", "60", `reboot window length "60": want a Go duration such as "1h30m" or "45m"`},
		{"Thu 04:00", "1 h", `reboot window length "1 h": want a Go duration such as "1h30m" or "45m"`},
		{"04:00", "", `reboot window start "04:00": no length given; set both start and length, or neither`},
		{"", "1h", `reboot window length "1h": no start given; set both start and length, or neither`},
	} {
		_, err := strategy.ParseLocksmithWindow(tc.start, tc.length, time.UTC)
		checkError(t, fmt.Sprintf("ParseLocksmithWindow(%q, %q)", tc.start, tc.length), err, strategy.ErrInvalidWindow, tc.want)
		// The error names the value at fault for callers to point at its setting.
		if we, ok := errors.AsType[*strategy.LocksmithWindowError](err); !ok || !strings.HasPrefix(tc.want, "reboot window "+we.Field+" ") {
			t.Errorf("ParseLocksmithWindow(%q, %q): error %#v does not name the value at fault", tc.start, tc.length, err)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{" \t\n", ""},
		{"Thu 04:00 1h", "Thu 04:00 1h"},
		{"4:00 30m", "04:00 30m"},
		{"\tMon\t04:00\t1h\n", "Mon 04:00 1h"},
		{"Mon-Fri 04:00 1h; Sat,Sun 02:00 4h; 03:00 30m", "Sat,Sun 02:00 4h; 03:00 30m; Mon-Fri 04:00 1h"},
		{"Mon-Fri 04:00 1h;Sat,Sun 02:00 4h", "Sat,Sun 02:00 4h; Mon-Fri 04:00 1h"},
		{"fri-MON 04:00 1h", "Fri-Mon 04:00 1h"},
		{"Sat,Sun,Mon 04:00 1h", "Sat-Mon 04:00 1h"},
		{"Sun,Mon,Wed 1:00 90m", "Mon,Wed,Sun 01:00 1h30m"},
		{"Mon-Wed,Fri,Sat 04:00 1h", "Mon-Wed,Fri,Sat 04:00 1h"},
		{"Mon-Fri,Wed 04:00 1h", "Mon-Fri 04:00 1h"},
		{"Sun-Tue,Thu-Fri 04:00 1h", "Thu,Fri,Sun-Tue 04:00 1h"},
		{"Sun,Mon 04:00 1h", "Mon,Sun 04:00 1h"},
		{"Mon-Sun 04:00 1h", "04:00 1h"},
		{"Tue-Mon 04:00 30h", "Mon-Sun 04:00 30h"},
		{"Mon 04:00 1h; Tue 04:00 1h; Tue 04:00 2h", "Mon,Tue 04:00 1h; Tue 04:00 2h"},
		{"04:00 1h; Mon 04:00 1h", "04:00 1h"},
		{"04:00 1h; 04:00 1h", "04:00 1h"},
		{"23:30 23h59m", "23:30 23h59m"},
		{"Sat 04:00 167h", "Sat 04:00 167h"},
	} {
		s, err := strategy.ParseSchedule(tc.in, time.UTC)
		if err != nil {
			t.Errorf("ParseSchedule(%q): %v", tc.in, err)
			continue
		}
		if got := s.String(); got != tc.want {
			t.Errorf("ParseSchedule(%q) = %q, want %q", tc.in, got, tc.want)
		}
		again, err := strategy.ParseSchedule(s.String(), time.UTC)
		if err != nil || again.String() != tc.want {
			t.Errorf("ParseSchedule(%q) = %q, %v; want %q (round trip)", s.String(), again, err, tc.want)
		}
	}
}

func TestParseScheduleErrors(t *testing.T) {
	const want = `want "[days ]HH:MM length", e.g. "Mon-Fri 04:00 1h"`
	const days = `want one of Sun, Mon, Tue, Wed, Thu, Fri, Sat (any case)`
	for _, tc := range []struct{ in, want string }{
		{"04:00", `reboot windows "04:00": ` + want},
		{"Mon 04:00", `reboot windows "Mon 04:00": no length after HH:MM; ` + want},
		{"Mon 04:00pm", `reboot windows "Mon 04:00pm": time "Mon": want a 24-hour time HH:MM, e.g. 04:30`},
		{"Mon Tue 04:00 1h", `reboot windows "Mon Tue 04:00 1h": ` + want},
		{"Sat, Sun 04:00 1h", `reboot windows "Sat, Sun 04:00 1h": ` + want},
		{"04:00 1h;", `reboot windows "04:00 1h;": window 2 "": empty window; ` + want},
		{"; 04:00 1h", `reboot windows "; 04:00 1h": window 1 "": empty window; ` + want},
		{";", `reboot windows ";": window 1 "": empty window; ` + want},
		{"04:00pm 1h", `reboot windows "04:00pm 1h": time "04:00pm": trailing "pm" after HH:MM`},
		{"Mon-Fri 04:00 1h; Sat 25:00 1h", `reboot windows "Mon-Fri 04:00 1h; Sat 25:00 1h": window 2 "Sat 25:00 1h": time "25:00": hour 25 out of range 0-23`},
		{"Sat 04:00:30 1h", `reboot windows "Sat 04:00:30 1h": time "04:00:30": trailing ":30" after HH:MM`},
		{"12:60 1h", `reboot windows "12:60 1h": time "12:60": minute 60 out of range 00-59`},
		{"1h 04:00", `reboot windows "1h 04:00": no length after HH:MM; ` + want},
		{"Mox 04:00 1h", `reboot windows "Mox 04:00 1h": days "Mox": unknown day "Mox"; ` + days},
		{"Monday-Friday 04:00 1h", `reboot windows "Monday-Friday 04:00 1h": days "Monday-Friday": unknown day "Monday"; ` + days},
		{"\u017fun 04:00 1h", `reboot windows "ſun 04:00 1h": days "ſun": unknown day "ſun"; ` + days}, // long s folds to s
		{"Mon-Fry 04:00 1h", `reboot windows "Mon-Fry 04:00 1h": days "Mon-Fry": unknown day "Fry"; ` + days},
		{"Mon-Wed-Fri 04:00 1h", `reboot windows "Mon-Wed-Fri 04:00 1h": days "Mon-Wed-Fri": unknown day "Wed-Fri"; ` + days},
		{"Mon,,Tue 04:00 1h", `reboot windows "Mon,,Tue 04:00 1h": days "Mon,,Tue": want day names and ranges separated by commas, e.g. "Mon-Fri,Sun"`},
		{"Mon, 04:00 1h", `reboot windows "Mon, 04:00 1h": days "Mon,": want day names and ranges separated by commas, e.g. "Mon-Fri,Sun"`},
		{"-Fri 04:00 1h", `reboot windows "-Fri 04:00 1h": days "-Fri": want day names and ranges separated by commas, e.g. "Mon-Fri,Sun"`},
		{"Mon- 04:00 1h", `reboot windows "Mon- 04:00 1h": days "Mon-": want day names and ranges separated by commas, e.g. "Mon-Fri,Sun"`},
		{"Mon-Mon 04:00 1h", `reboot windows "Mon-Mon 04:00 1h": days "Mon-Mon": range "Mon-Mon" starts and ends on the same day; write the day alone, or the full week as "Mon-Sun"`},
		{"04:00 24h", `reboot windows "04:00 24h": length "24h": a daily window must be shorter than 24h`},
		{"Mon-Sun 04:00 168h", `reboot windows "Mon-Sun 04:00 168h": length "168h": a window with days must be shorter than 168h`},
		{"04:00 -30m", `reboot windows "04:00 -30m": length "-30m": a window must be open for longer than zero`},
		{"04:00 0", `reboot windows "04:00 0": length "0": a window must be open for longer than zero`},
		{"04:00 1d", `reboot windows "04:00 1d": length "1d": want a Go duration such as "1h30m" or "45m"`},
	} {
		_, err := strategy.ParseSchedule(tc.in, time.UTC)
		checkError(t, fmt.Sprintf("ParseSchedule(%q)", tc.in), err, strategy.ErrInvalidWindow, tc.want)
	}
}

func TestScheduleWindows(t *testing.T) {
	s := schedule(t, "Mon-Fri 04:00 1h; 23:30 45m; Sat,Sun 23:30 45m", "UTC")
	ws := s.Windows()
	if len(ws) != 2 {
		t.Fatalf("Windows() = %v, want 2 windows", ws)
	}
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	everyDay := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	for i, want := range []struct {
		days         []time.Weekday
		hour, minute int
		length       time.Duration
		text         string
	}{
		{weekdays, 4, 0, time.Hour, "Mon-Fri 04:00 1h"},
		{everyDay, 23, 30, 45 * time.Minute, "23:30 45m"},
	} {
		w := ws[i]
		hour, minute := w.Start()
		if !slices.Equal(w.Weekdays(), want.days) || hour != want.hour || minute != want.minute ||
			w.Length() != want.length || w.String() != want.text {
			t.Errorf("window %d = %v %d:%d %v %q, want %v %d:%d %v %q", i, w.Weekdays(), hour, minute, w.Length(), w,
				want.days, want.hour, want.minute, want.length, want.text)
		}
	}
	ws[0] = ws[1]
	if s.String() != "Mon-Fri 04:00 1h; 23:30 45m" {
		t.Errorf("changing the slice Windows returned changed the schedule to %q", s)
	}
}

func TestScheduleLocation(t *testing.T) {
	if loc := (strategy.Schedule{}).Location(); loc != time.Local {
		t.Errorf("zero Schedule Location() = %v, want Local", loc)
	}
	for _, spec := range []string{"", "04:00 1h"} {
		s, err := strategy.ParseSchedule(spec, nil)
		if err != nil || s.Location() != time.Local {
			t.Errorf("ParseSchedule(%q, nil) = %v, %v; want location Local", spec, s.Location(), err)
		}
	}
	ny := location(t, "America/New_York")
	s, err := strategy.ParseLocksmithWindow("", "", ny)
	if err != nil || s.Location() != ny || !s.Empty() {
		t.Errorf("ParseLocksmithWindow(\"\", \"\", New York) = %v (empty %v), %v; want empty in New York", s.Location(), s.Empty(), err)
	}
}
