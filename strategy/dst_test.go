package strategy_test

import "testing"

// In America/New_York clocks jump from 02:00 EST to 03:00 EDT on Sunday
// 2026-03-08 (07:00 UTC) and back from 02:00 EDT to 01:00 EST on Sunday
// 2026-11-01 (06:00 UTC).
func TestNextNewYorkDST(t *testing.T) {
	const ny = "America/New_York"
	runNextCases(t, []nextCase{
		// Spring forward: 02:30 does not exist; the window opens when the
		// clock jumps, at 03:00 EDT, and lasts its length from there.
		{"skipped start, day before", "02:30 1h", ny, "2026-03-07T02:45:00-05:00", true, "2026-03-07T02:30:00-05:00", "2026-03-07T03:30:00-05:00"},
		{"skipped start, just before the jump", "02:30 1h", ny, "2026-03-08T01:59:59-05:00", false, "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"},
		{"skipped start, at the jump", "02:30 1h", ny, "2026-03-08T07:00:00Z", true, "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"},
		{"skipped start, last instant", "02:30 1h", ny, "2026-03-08T03:59:59.999999999-04:00", true, "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"},
		{"skipped start, closed", "02:30 1h", ny, "2026-03-08T04:00:00-04:00", false, "2026-03-09T02:30:00-04:00", "2026-03-09T03:30:00-04:00"},
		{"skipped start on the hour", "Sun 02:00 1h", ny, "2026-03-08T01:00:00-05:00", false, "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"},
		{"skipped starts merge with 03:00", "02:30 1h; 03:00 30m", ny, "2026-03-08T03:40:00-04:00", true, "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"},
		// A window open across the jump lasts its length in elapsed time:
		// two real hours from 01:00 EST end at 04:00 EDT.
		{"open across the jump", "01:00 2h", ny, "2026-03-08T03:30:00-04:00", true, "2026-03-08T01:00:00-05:00", "2026-03-08T04:00:00-04:00"},
		{"weekly across the jump", "Sat 12:00 48h", ny, "2026-03-09T12:30:00-04:00", true, "2026-03-07T12:00:00-05:00", "2026-03-09T13:00:00-04:00"},

		// Fall back: 01:30 happens twice; the window opens once, at the
		// first (EDT), and its hour ends at the second (EST).
		{"repeated start, first pass", "01:30 1h", ny, "2026-11-01T01:45:00-04:00", true, "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"},
		{"repeated start, inside second pass", "01:30 1h", ny, "2026-11-01T01:15:00-05:00", true, "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"},
		{"repeated start, does not reopen", "01:30 1h", ny, "2026-11-01T01:30:00-05:00", false, "2026-11-02T01:30:00-05:00", "2026-11-02T02:30:00-05:00"},
		{"repeated start, second pass later", "01:30 1h", ny, "2026-11-01T01:45:00-05:00", false, "2026-11-02T01:30:00-05:00", "2026-11-02T02:30:00-05:00"},
		{"open across the fall back", "01:00 2h", ny, "2026-11-01T01:59:00-05:00", true, "2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00"},
		{"opening after the repeated hour", "02:00 1h", ny, "2026-11-01T01:30:00-05:00", false, "2026-11-01T02:00:00-05:00", "2026-11-01T03:00:00-05:00"},
		{"opening before the repeated hour", "00:30 1h", ny, "2026-11-01T01:15:00-04:00", true, "2026-11-01T00:30:00-04:00", "2026-11-01T01:30:00-04:00"},
	})
}

// In Europe/Berlin clocks jump from 02:00 CET to 03:00 CEST on Sunday
// 2026-03-29 (01:00 UTC) and back from 03:00 CEST to 02:00 CET on Sunday
// 2026-10-25 (01:00 UTC). Berlin is east of UTC, where time.Date resolves
// skipped and repeated readings the other way round from New York.
func TestNextBerlinDST(t *testing.T) {
	const berlin = "Europe/Berlin"
	runNextCases(t, []nextCase{
		{"skipped start", "02:30 1h", berlin, "2026-03-29T01:59:00+01:00", false, "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"},
		{"skipped start, open", "02:30 1h", berlin, "2026-03-29T03:30:00+02:00", true, "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"},
		{"skipped start, next day", "02:30 1h", berlin, "2026-03-29T04:00:00+02:00", false, "2026-03-30T02:30:00+02:00", "2026-03-30T03:30:00+02:00"},
		{"open across the jump", "Sun 01:30 1h", berlin, "2026-03-29T03:15:00+02:00", true, "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"},

		{"repeated start", "02:30 1h", berlin, "2026-10-25T02:45:00+02:00", true, "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"},
		{"repeated start, does not reopen", "02:30 1h", berlin, "2026-10-25T02:45:00+01:00", false, "2026-10-26T02:30:00+01:00", "2026-10-26T03:30:00+01:00"},
		{"open across the fall back", "02:00 2h", berlin, "2026-10-25T02:59:00+01:00", true, "2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00"},
		{"before the fall back", "Sun 00:00 2h", berlin, "2026-10-24T23:00:00+02:00", false, "2026-10-25T00:00:00+02:00", "2026-10-25T02:00:00+02:00"},
	})
}

// Samoa skipped Friday 2011-12-30 altogether, jumping from 23:59:59 on the
// 29th (UTC-10) to 00:00 on the 31st (UTC+14) at 10:00 UTC. A window due on
// the missing day opens at the jump.
func TestNextSkippedDay(t *testing.T) {
	const apia = "Pacific/Apia"
	runNextCases(t, []nextCase{
		{"missing Friday", "Fri 12:00 1h", apia, "2011-12-29T23:00:00-10:00", false, "2011-12-31T00:00:00+14:00", "2011-12-31T01:00:00+14:00"},
		{"daily, missing day", "12:00 1h", apia, "2011-12-29T13:00:00-10:00", false, "2011-12-31T00:00:00+14:00", "2011-12-31T01:00:00+14:00"},
		{"daily, open at the jump", "12:00 1h", apia, "2011-12-30T10:00:00Z", true, "2011-12-31T00:00:00+14:00", "2011-12-31T01:00:00+14:00"},
		{"daily, after the jump", "12:00 1h", apia, "2011-12-31T01:00:00+14:00", false, "2011-12-31T12:00:00+14:00", "2011-12-31T13:00:00+14:00"},
	})
}
