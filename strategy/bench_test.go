package strategy_test

import (
	"testing"
)

func BenchmarkNext(b *testing.B) {
	for _, tc := range []struct{ name, spec string }{
		{"weekday", "Mon-Fri 04:00 1h"},
		{"several", "Mon-Fri 04:00 1h; Sat,Sun 02:00 4h; 23:30 45m"},
		{"always", "00:00 12h; 12:00 12h"},
	} {
		s := schedule(b, tc.spec, "America/New_York")
		t := at(b, "2026-03-07T12:00:00Z")
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				s.Next(t)
			}
		})
	}
}

func BenchmarkContains(b *testing.B) {
	s := schedule(b, "Mon-Fri 04:00 1h; Sat,Sun 02:00 4h; 23:30 45m", "America/New_York")
	t := at(b, "2026-03-07T12:00:00Z")
	for b.Loop() {
		s.Contains(t)
	}
}
