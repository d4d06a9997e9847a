package daemon

import "time"

// backoff yields doubling delays from initial up to max.
type backoff struct {
	initial, max time.Duration
	next         time.Duration
}

// delay returns the next delay and doubles the one after.
func (b *backoff) delay() time.Duration {
	if b.next == 0 {
		b.next = b.initial
	}
	d := b.next
	b.next = min(2*b.next, b.max)
	return d
}

// reset makes the next delay the initial one again.
func (b *backoff) reset() { b.next = 0 }
