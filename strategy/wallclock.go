package strategy

import "time"

const secondsPerDay = 24 * 60 * 60

// maxOffset bounds the offset from UTC of any time zone. tzdata's largest is
// under 16h (local mean times before 1900); 26h leaves room for any
// plausible future rule.
const maxOffset = 26 * 60 * 60

// localDay returns the local date of t in loc as a number of days since
// 1970-01-01.
func localDay(t time.Time, loc *time.Location) int64 {
	_, offset := t.In(loc).Zone()
	sec := t.Unix() + int64(offset)
	day := sec / secondsPerDay
	if sec%secondsPerDay < 0 {
		day--
	}
	return day
}

// weekday returns the day of the week of a date given in days since
// 1970-01-01, a Thursday.
func weekday(day int64) time.Weekday {
	return time.Weekday(((day+4)%7 + 7) % 7)
}

// firstReading returns the first instant at which the clock in loc reads
// wall, a local date and time given in seconds since 1970-01-01 00:00 local.
// When the clock skips wall (a jump forward such as the start of
// daylight-saving time) it returns the instant of the jump: the first one
// after which the clock reads later than wall. The result is in loc, and it
// never decreases as wall increases.
//
// time.Date is no help here: for a skipped or repeated reading it picks one
// of the two offsets without saying which.
func firstReading(wall int64, loc *time.Location) time.Time {
	// Walk the zone periods (spans of constant offset) in order, starting
	// early enough that the clock reads before wall.
	at := time.Unix(wall-maxOffset, 0).In(loc)
	for {
		_, offset := at.Zone()
		_, end := at.ZoneBounds()
		if instant := wall - int64(offset); end.IsZero() || instant < end.Unix() {
			return time.Unix(instant, 0).In(loc)
		}
		// The clock passes wall before this period ends, or jumps over it at
		// the end.
		_, nextOffset := end.Zone()
		if wall < end.Unix()+int64(nextOffset) {
			return end
		}
		at = end
	}
}
