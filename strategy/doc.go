// Package strategy parses locksmith's reboot strategies and reboot windows and
// answers, as pure functions of a time.Time, whether an instant lies inside a
// set of reboot windows and when the next window opens and closes.
//
// # Strategies
//
// [ParseStrategy] accepts the names locksmith uses in REBOOT_STRATEGY:
// "etcd-lock", "reboot" and "off", written exactly so (lower case). The empty
// string means [Reboot], locksmith's default since 0.6. Every other value,
// including the removed "best-effort", is an error wrapping
// [ErrUnknownStrategy].
//
// # Reboot windows
//
// A [Window] opens at a wall-clock time HH:MM on every day or on a set of
// weekdays and stays open for a length given as a Go duration. A [Schedule]
// is a set of windows in one time zone; the empty Schedule (no windows) is
// always open. Two textual forms build a Schedule:
//
//   - locksmith's pair of values, [ParseLocksmithWindow]: a start
//     "[Day ]HH:MM" (Day a three-letter English weekday name, any case) and a
//     length such as "1h30m". Without a day the window is daily and must be
//     shorter than 24h; with a day it is weekly and must be shorter than 168h.
//     Start and length are both set or both empty (no window).
//   - the extended form, [ParseSchedule]: windows "[days ]HH:MM length"
//     separated by ";", where days is a comma-separated list of day names and
//     ranges, e.g. "Mon-Fri 04:00 1h; Sat,Sun 02:00 4h; 23:30 45m". A range
//     may wrap the end of the week ("Fri-Mon" is Fri, Sat, Sun, Mon).
//
// Parsing is strict: anything but the forms above (for example "04:00pm",
// "04:00:30", "24:00", "12:60", "Thursday") is an error that quotes the bad
// input, says what was expected and wraps [ErrInvalidWindow]. For
// compatibility with locksmith, which read the start with fmt.Sscanf, a
// one-digit hour ("4:00") is accepted; minutes always have two digits.
//
// # Time zones and daylight-saving time
//
// Window times are wall-clock times in the Schedule's location
// ([LoadLocation]: an IANA name, or "Local"/"" for the host's zone; the time
// zone database is embedded in the binary, so a host without
// /usr/share/zoneinfo works). Each day a window is due, it opens at the first
// instant the local clock reads its start time. When the clock skips that time
// (spring forward: 02:30 does not exist on 2026-03-08 in America/New_York) the
// window opens at the instant of the jump (03:00 EDT). When the clock reads it
// twice (fall back: 01:30 on 2026-11-01 in America/New_York) the window opens
// once, at the first reading (01:30 EDT). The length is elapsed time from that
// opening instant, not wall-clock time: "01:00 2h" on the fall-back night
// closes at 02:00 EST, two real hours after it opened at 01:00 EDT.
//
// Windows that overlap or touch form one open period ("run") for
// [Schedule.Contains] and [Schedule.Next], also across midnight and across the
// end of the week.
package strategy
