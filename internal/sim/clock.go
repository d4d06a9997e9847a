package sim

import (
	"time"

	"locksmith.dev/locksmith/internal/clock"
)

// scaledClock is the simulated clock of the daemons: a [clock.Clock] that
// runs factor times faster than the real one, reading start when it was
// made.
type scaledClock struct {
	start  time.Time // simulated time at origin
	origin time.Time // real time, with its monotonic reading
	factor float64
}

func newScaledClock(start time.Time, factor float64) *scaledClock {
	now := time.Now()
	if start.IsZero() {
		start = now
	}
	return &scaledClock{start: start.Round(0), origin: now, factor: factor}
}

// Now returns the simulated time.
func (c *scaledClock) Now() time.Time { return c.start.Add(c.simulated(time.Since(c.origin))) }

// NewTimer returns a real timer that fires after the real time in which d
// passes on the simulated clock.
func (c *scaledClock) NewTimer(d time.Duration) clock.Timer { return clock.Real.NewTimer(c.real(d)) }

// simulated converts a real duration to simulated time.
func (c *scaledClock) simulated(d time.Duration) time.Duration {
	return time.Duration(float64(d) * c.factor)
}

// real converts a simulated duration to real time.
func (c *scaledClock) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.factor)
}
