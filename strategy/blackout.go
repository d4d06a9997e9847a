package strategy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Blackout is a set of dates on which no reboot window opens: whole local days in the
// schedule's time zone, from midnight to midnight. Each is yearly ("Dec 24-Jan 2", "Jul 4") or
// one date or range of dates ("2027-03-31", "2027-03-29-2027-03-31"). The zero Blackout has no
// dates. A Blackout is an immutable value; build it with [ParseBlackout].
type Blackout struct {
	spans []dateSpan
	text  string
}

// dateSpan is an inclusive range of dates: yearly ones as month*100+day (first may be later
// than last: the range wraps the year's end), absolute ones as days since 1970-01-01.
type dateSpan struct {
	yearly      bool
	first, last int64
}

// ParseBlackout parses a spec of blackout dates separated by ";", each one of:
//   - "Mon D" or "Mon D-Mon D" or "Mon D-D", every year: Mon a three-letter month name in any
//     case, D a day of that month (Feb 29 is valid); a range may wrap the year's end, as in
//     "Dec 24-Jan 2";
//   - "YYYY-MM-DD" or "YYYY-MM-DD-YYYY-MM-DD", once: a date of the proleptic Gregorian
//     calendar, or an inclusive range of them, the last no earlier than the first.
//
// Blanks around the parts are ignored. A blank spec returns the zero Blackout. A malformed spec
// returns an error that quotes the spec and the bad part, says what was expected and wraps
// [ErrInvalidWindow]; an empty part (as in "Jul 4;") is an error.
func ParseBlackout(spec string) (Blackout, error) {
	if strings.TrimSpace(spec) == "" {
		return Blackout{}, nil
	}
	parts := strings.Split(spec, ";")
	b := Blackout{spans: make([]dateSpan, 0, len(parts))}
	texts := make([]string, 0, len(parts))
	for _, part := range parts {
		part = strings.TrimSpace(part)
		sp, err := parseDateSpan(part)
		if err != nil {
			if len(parts) == 1 {
				return Blackout{}, fmt.Errorf("blackout %q: %w", spec, err)
			}
			return Blackout{}, fmt.Errorf("blackout %q: %q: %w", spec, part, err)
		}
		b.spans = append(b.spans, sp)
		texts = append(texts, sp.String())
	}
	b.text = strings.Join(texts, "; ")
	return b, nil
}

// Empty reports whether b has no dates.
func (b Blackout) Empty() bool { return len(b.spans) == 0 }

// String returns b in canonical form, e.g. "Dec 24-Jan 2; 2027-03-31"; ParseBlackout of it
// returns an equal Blackout. The zero Blackout is "".
func (b Blackout) String() string { return b.text }

// covers reports whether the local date day (days since 1970-01-01) is blacked out.
func (b Blackout) covers(day int64) bool {
	var md int64
	if len(b.spans) > 0 {
		_, m, d := time.Unix(day*secondsPerDay, 0).UTC().Date()
		md = int64(m)*100 + int64(d)
	}
	for _, sp := range b.spans {
		v := day
		if sp.yearly {
			v = md
		}
		if sp.first <= sp.last && sp.first <= v && v <= sp.last || sp.first > sp.last && (v >= sp.first || v <= sp.last) {
			return true
		}
	}
	return false
}

// String returns sp in the form ParseBlackout reads.
func (sp dateSpan) String() string {
	if sp.yearly {
		s := monthDay(sp.first)
		if sp.last != sp.first {
			s += "-" + monthDay(sp.last)
		}
		return s
	}
	s := isoDate(sp.first)
	if sp.last != sp.first {
		s += "-" + isoDate(sp.last)
	}
	return s
}

func monthDay(md int64) string {
	return fmt.Sprintf("%s %d", time.Month(md / 100).String()[:3], md%100)
}

func isoDate(day int64) string { return time.Unix(day*secondsPerDay, 0).UTC().Format(time.DateOnly) }

// parseDateSpan parses one part of a blackout spec.
func parseDateSpan(s string) (dateSpan, error) {
	if s == "" {
		return dateSpan{}, problemf(`empty blackout; want "Mon D[-Mon D]" or "YYYY-MM-DD[-YYYY-MM-DD]", e.g. "Dec 24-Jan 2"`)
	}
	if leadingDigits(s) > 0 {
		return parseDateRange(s)
	}
	return parseYearlyRange(s)
}

// parseDateRange parses "YYYY-MM-DD[-YYYY-MM-DD]".
func parseDateRange(s string) (dateSpan, error) {
	const n = len(time.DateOnly)
	first, err := parseISODate(s[:min(n, len(s))])
	if err != nil {
		return dateSpan{}, err
	}
	last := first
	if rest := strings.TrimSpace(s[min(n, len(s)):]); rest != "" {
		after, ok := strings.CutPrefix(rest, "-")
		if !ok {
			return dateSpan{}, problemf("trailing %q after the date; want YYYY-MM-DD or YYYY-MM-DD-YYYY-MM-DD", rest)
		}
		if last, err = parseISODate(strings.TrimSpace(after)); err != nil {
			return dateSpan{}, err
		}
		if last < first {
			return dateSpan{}, problemf("the range ends before it begins")
		}
	}
	return dateSpan{first: first, last: last}, nil
}

// parseISODate parses YYYY-MM-DD into days since 1970-01-01.
func parseISODate(s string) (int64, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return 0, problemf("date %q: want YYYY-MM-DD, a real date, e.g. 2027-03-31", s)
	}
	return t.Unix() / secondsPerDay, nil
}

// parseYearlyRange parses "Mon D", "Mon D-Mon D" or "Mon D-D".
func parseYearlyRange(s string) (dateSpan, error) {
	from, to, isRange := strings.Cut(s, "-")
	first, err := parseMonthDay(strings.TrimSpace(from))
	if err != nil {
		return dateSpan{}, err
	}
	last := first
	if isRange {
		to = strings.TrimSpace(to)
		if leadingDigits(to) == len(to) && to != "" {
			to = time.Month(first / 100).String()[:3] + " " + to // "Dec 24-31"
		}
		if last, err = parseMonthDay(to); err != nil {
			return dateSpan{}, err
		}
	}
	return dateSpan{yearly: true, first: first, last: last}, nil
}

// monthNames are the three-letter month names, January first.
var monthNames = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// daysIn is the most days each month has, February in a leap year.
var daysIn = [...]int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// parseMonthDay parses "Mon D" into month*100+day.
func parseMonthDay(s string) (int64, error) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return 0, problemf(`%q: want a month name and a day, e.g. "Dec 24"`, s)
	}
	month := -1
	for i, name := range monthNames {
		if len(fields[0]) == len(name) && strings.EqualFold(fields[0], name) {
			month = i
		}
	}
	if month < 0 {
		return 0, problemf("unknown month %q; want one of %s (any case)", fields[0], strings.Join(monthNames[:], ", "))
	}
	d, err := strconv.Atoi(fields[1])
	if err != nil || leadingDigits(fields[1]) != len(fields[1]) || len(fields[1]) > 2 || d < 1 || d > daysIn[month] {
		return 0, problemf("day %q of %s: want a number from 1 to %d", fields[1], monthNames[month], daysIn[month])
	}
	return int64(month+1)*100 + int64(d), nil
}
