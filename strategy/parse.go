package strategy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidWindow is wrapped by every error [ParseLocksmithWindow] and
// [ParseSchedule] return.
var ErrInvalidWindow = errors.New("invalid reboot window")

// problem is what is wrong with a piece of a reboot window; it wraps
// ErrInvalidWindow so that callers can test for it with errors.Is.
type problem struct{ msg string }

func (p *problem) Error() string { return p.msg }
func (p *problem) Unwrap() error { return ErrInvalidWindow }

func problemf(format string, args ...any) error {
	return &problem{fmt.Sprintf(format, args...)}
}

// LocksmithWindowError is the error [ParseLocksmithWindow] returns: it
// names which of its two values is wrong, so that a caller can point at
// the setting that holds it.
type LocksmithWindowError struct {
	Field string // "start" or "length"
	Value string // the value as given, blanks trimmed
	Err   error  // what is wrong; wraps [ErrInvalidWindow]
}

func (e *LocksmithWindowError) Error() string {
	return fmt.Sprintf("reboot window %s %q: %v", e.Field, e.Value, e.Err)
}

// Unwrap returns e.Err.
func (e *LocksmithWindowError) Unwrap() error { return e.Err }

// ParseLocksmithWindow returns the schedule given in locksmith's form, as
// REBOOT_WINDOW_START and REBOOT_WINDOW_LENGTH carry it: start is
// "[Day ]HH:MM" (Day a three-letter weekday name in any case, hour 0-23 in
// one or two digits, minute 00-59 in two) and length a Go duration such as
// "1h30m", longer than zero and shorter than 24h without a day or 168h with
// one. Blanks around either value are ignored.
//
// When both are empty it returns the empty Schedule (always open) in loc.
// When one is empty, or either is malformed, it returns a
// [*LocksmithWindowError] that names and quotes the bad value, says what was
// expected and wraps [ErrInvalidWindow]. A nil
// loc means [time.Local].
func ParseLocksmithWindow(start, length string, loc *time.Location) (Schedule, error) {
	start, length = strings.TrimSpace(start), strings.TrimSpace(length)
	switch {
	case start == "" && length == "":
		return newSchedule(loc, nil), nil
	case length == "":
		return Schedule{}, &LocksmithWindowError{"start", start,
			problemf("no length given; set both start and length, or neither")}
	case start == "":
		return Schedule{}, &LocksmithWindowError{"length", length,
			problemf("no start given; set both start and length, or neither")}
	}
	w, err := parseLocksmithStart(start)
	if err != nil {
		return Schedule{}, &LocksmithWindowError{"start", start, err}
	}
	if w.length, err = parseLength(length, w.days == everyDay); err != nil {
		return Schedule{}, &LocksmithWindowError{"length", length, err}
	}
	return newSchedule(loc, []Window{w}), nil
}

// parseLocksmithStart parses "[Day ]HH:MM" into a window without a length.
func parseLocksmithStart(s string) (Window, error) {
	w := Window{days: everyDay}
	fields := strings.Fields(s)
	switch len(fields) {
	case 1:
	case 2:
		if strings.ContainsAny(fields[0], ",-") {
			return Window{}, problemf("a single day is expected before HH:MM; day lists and ranges such as %q need the extended schedule form", fields[0])
		}
		d, err := parseDay(fields[0])
		if err != nil {
			return Window{}, err
		}
		w.days = 1 << d
	default:
		return Window{}, problemf(`want "[Day ]HH:MM", e.g. "04:00" or "Thu 04:00"`)
	}
	var err error
	w.start, err = parseClock(fields[len(fields)-1])
	return w, err
}

// ParseSchedule returns the schedule given in the extended form: windows
// separated by ";", each "[days ]HH:MM length" with blanks between the
// parts, e.g. "Mon-Fri 04:00 1h; Sat,Sun 02:00 4h; 23:30 45m". days is a
// comma-separated list of three-letter day names (any case) and ranges of
// them ("Mon-Fri"; a range may wrap the end of the week, "Fri-Mon"); without
// days the window opens every day. HH:MM and length are as in
// [ParseLocksmithWindow], so a single locksmith window "Thu 04:00 1h" is a
// valid spec. length must be shorter than 24h for a daily window and than
// 168h for one with days. Windows that overlap or touch are merged by
// [Schedule.Contains] and [Schedule.Next].
//
// A spec that is empty or blank returns the empty Schedule (always open) in
// loc. A malformed spec returns an error that quotes the spec and the bad
// window, says what was expected and wraps [ErrInvalidWindow]; an empty
// window (as in "04:00 1h;") is an error. A nil loc means [time.Local].
func ParseSchedule(spec string, loc *time.Location) (Schedule, error) {
	if strings.TrimSpace(spec) == "" {
		return newSchedule(loc, nil), nil
	}
	parts := strings.Split(spec, ";")
	windows := make([]Window, 0, len(parts))
	for i, part := range parts {
		w, err := parseWindow(strings.TrimSpace(part))
		switch {
		case err != nil && len(parts) == 1:
			return Schedule{}, fmt.Errorf("reboot windows %q: %w", spec, err)
		case err != nil:
			return Schedule{}, fmt.Errorf("reboot windows %q: window %d %q: %w", spec, i+1, strings.TrimSpace(part), err)
		}
		windows = append(windows, w)
	}
	return newSchedule(loc, windows), nil
}

// parseWindow parses one window of the extended form.
func parseWindow(s string) (Window, error) {
	w := Window{days: everyDay}
	fields := strings.Fields(s)
	daily := len(fields) == 2
	switch len(fields) {
	case 0:
		return Window{}, problemf(`empty window; want "[days ]HH:MM length", e.g. "Mon-Fri 04:00 1h"`)
	case 2:
		if _, err := parseClock(fields[1]); err == nil {
			return Window{}, problemf(`no length after HH:MM; want "[days ]HH:MM length", e.g. "Mon-Fri 04:00 1h"`)
		}
	case 3:
		var err error
		if w.days, err = parseDays(fields[0]); err != nil {
			return Window{}, fmt.Errorf("days %q: %w", fields[0], err)
		}
	default:
		return Window{}, problemf(`want "[days ]HH:MM length", e.g. "Mon-Fri 04:00 1h"`)
	}
	clock, length := fields[len(fields)-2], fields[len(fields)-1]
	var err error
	if w.start, err = parseClock(clock); err != nil {
		return Window{}, fmt.Errorf("time %q: %w", clock, err)
	}
	if w.length, err = parseLength(length, daily); err != nil {
		return Window{}, fmt.Errorf("length %q: %w", length, err)
	}
	return w, nil
}

// parseDays parses a comma-separated list of day names and ranges.
func parseDays(s string) (weekdays, error) {
	var ds weekdays
	for item := range strings.SplitSeq(s, ",") {
		first, last, isRange := strings.Cut(item, "-")
		if item == "" || (isRange && (first == "" || last == "")) {
			return 0, problemf(`want day names and ranges separated by commas, e.g. "Mon-Fri,Sun"`)
		}
		from, err := parseDay(first)
		if err != nil {
			return 0, err
		}
		to := from
		if isRange {
			if to, err = parseDay(last); err != nil {
				return 0, err
			}
			if to == from {
				return 0, problemf("range %q starts and ends on the same day; write the day alone, or the full week as \"Mon-Sun\"", item)
			}
		}
		for d := from; ; d = (d + 1) % 7 {
			ds |= 1 << d
			if d == to {
				break
			}
		}
	}
	return ds, nil
}

// parseDay parses a three-letter day name in any case. Only ASCII letters
// match: the length test keeps out Unicode look-alikes that fold to ASCII,
// such as "ſun" (long s).
func parseDay(s string) (time.Weekday, error) {
	for d, name := range dayNames {
		if len(s) == len(name) && strings.EqualFold(s, name) {
			return time.Weekday(d), nil
		}
	}
	return 0, problemf("unknown day %q; want one of %s (any case)", s, strings.Join(dayNames[:], ", "))
}

// parseClock parses HH:MM (or H:MM) into minutes after midnight.
func parseClock(s string) (int, error) {
	hourDigits := leadingDigits(s)
	if hourDigits == 0 || hourDigits > 2 || hourDigits == len(s) || s[hourDigits] != ':' {
		return 0, problemf("want a 24-hour time HH:MM, e.g. 04:30")
	}
	rest := s[hourDigits+1:]
	if leadingDigits(rest) < 2 {
		return 0, problemf("want two-digit minutes after the colon, e.g. 04:05")
	}
	if rest[2:] != "" {
		return 0, problemf("trailing %q after HH:MM", rest[2:])
	}
	hour, _ := strconv.Atoi(s[:hourDigits])
	minute, _ := strconv.Atoi(rest[:2])
	switch {
	case hour > 23:
		return 0, problemf("hour %d out of range 0-23", hour)
	case minute > 59:
		return 0, problemf("minute %d out of range 00-59", minute)
	}
	return hour*60 + minute, nil
}

// leadingDigits returns how many ASCII digits s starts with.
func leadingDigits(s string) int {
	n := 0
	for n < len(s) && '0' <= s[n] && s[n] <= '9' {
		n++
	}
	return n
}

// parseLength parses the length of a window: longer than zero, and shorter
// than a day for a daily window (given without days), else shorter than a
// week.
func parseLength(s string, daily bool) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, problemf(`want a Go duration such as "1h30m" or "45m"`)
	}
	limit, kind := week, "a window with days"
	if daily {
		limit, kind = day, "a daily window"
	}
	switch {
	case d <= 0:
		return 0, problemf("a window must be open for longer than zero")
	case d >= limit:
		return 0, problemf("%s must be shorter than %s", kind, formatLength(limit))
	}
	return d, nil
}
