// Package clock lets code that waits on time be tested without sleeping.
//
// Code takes a [Clock]; production passes [Real], tests pass a [Fake] whose
// time moves only when the test calls [Fake.Advance] or [Fake.Set]. A test
// synchronises with the code under test by waiting, with
// [Fake.BlockUntil], until that code has started the timers it waits on.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that fires once, d after now. A d of zero or
	// less fires as soon as possible.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer made by a [Clock].
type Timer interface {
	// C returns the channel that receives the time once the timer fires.
	C() <-chan time.Time
	// Stop prevents the timer from firing. It returns false if the timer
	// had already fired or been stopped.
	Stop() bool
}

// Sleep waits for d on c. It returns nil after d, or the cause of ctx's end
// if ctx ends first.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// WithTimeout returns a copy of ctx that is cancelled, with cause
// context.DeadlineExceeded, once d has passed on c; it also ends when ctx
// ends or when the returned cancel function is called. Call cancel when done:
// it stops the timer before it returns.
func WithTimeout(ctx context.Context, c Clock, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	t := c.NewTimer(d)
	go func() {
		select {
		case <-t.C():
			cancel(context.DeadlineExceeded)
		case <-ctx.Done():
			t.Stop()
		}
	}()
	return ctx, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}
