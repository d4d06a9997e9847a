package semaphore

import (
	"context"
	"math/rand/v2"
	"time"
)

// Bounds of the back-off after a lost race: the n-th lost race of a write
// waits a uniform random delay below min(maxBackoff, minBackoff<<(n-1)).
const (
	minBackoff = 2 * time.Millisecond
	maxBackoff = 100 * time.Millisecond
)

// backoffDelay returns the delay after the n-th (n ≥ 1) lost race of one
// write, drawn from rnd (a uniform float64 in [0, 1)): "full jitter", so
// that writers that lost the same race come back spread out instead of
// together.
func backoffDelay(n int, rnd func() float64) time.Duration {
	ceiling := maxBackoff
	if n < 16 {
		ceiling = min(maxBackoff, minBackoff<<(n-1))
	}
	return time.Duration(rnd() * float64(ceiling))
}

// backOff waits the back-off delay after the n-th lost race of a write, or
// until ctx ends (it then returns ctx.Err()).
func (s *Semaphore) backOff(ctx context.Context, n int) error {
	d := backoffDelay(n, rand.Float64)
	if s.opts.backedOff != nil {
		s.opts.backedOff(n, d)
	}
	return pause(ctx, d)
}
