// Package clock lets code that waits on time be tested without sleeping.
//
// Code takes a [Clock]; production passes [Real], tests pass a [Fake] whose
// time moves only when the test calls [Fake.Advance] or [Fake.Set]. A test
// synchronises with the code under test by waiting, with
// [Fake.BlockUntil], until that code has started the timers it waits on.
package clock

import (
	"context"
	"fmt"
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

// TimeoutError is the cause of the end of a context made by WithTimeout
// whose time ran out. It matches context.DeadlineExceeded with errors.Is,
// and its text says how long the wait was ("timed out after 10s").
type TimeoutError struct {
	// After is the duration given to WithTimeout.
	After time.Duration
}

func (e *TimeoutError) Error() string { return fmt.Sprintf("timed out after %s", e.After) }

// Unwrap returns context.DeadlineExceeded.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// WithTimeout returns a copy of ctx that ends once d has passed on c, with
// a *TimeoutError as its cause; it also ends when ctx ends or when the
// returned cancel function is called (cause context.Canceled). Call cancel
// when done: it stops the timer before it returns.
//
// As for any context ended early, Err returns context.Canceled, also when
// the time ran out (the context package has no other way): code that
// words an error of an operation under this context should say
// context.Cause, which says that it timed out and after how long.
func WithTimeout(ctx context.Context, c Clock, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	t := c.NewTimer(d)
	go func() {
		select {
		case <-t.C():
			cancel(&TimeoutError{After: d})
		case <-ctx.Done():
			t.Stop()
		}
	}()
	return ctx, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}
