package clock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Fake is a [Clock] for tests. Its time stands still until Advance or Set
// moves it; timers whose time has come then fire in deadline order. A Fake
// is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	pending []*fakeTimer
	changed chan struct{} // closed and replaced whenever pending grows
}

// NewFake returns a Fake whose time is now.
func NewFake(now time.Time) *Fake {
	return &Fake{now: now, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires once the fake time reaches now + d.
// A d of zero or less fires at once and is never pending.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, at: f.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- f.now
		return t
	}
	f.pending = append(f.pending, t)
	close(f.changed)
	f.changed = make(chan struct{})
	return t
}

// Advance moves the fake time forward by d and fires the timers that are
// due, in deadline order.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(f.now.Add(d))
}

// Set moves the fake time to t (forward or backward) and fires the timers
// that are due, in deadline order.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLocked(t)
}

func (f *Fake) setLocked(now time.Time) {
	f.now = now
	slices.SortStableFunc(f.pending, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
	n := 0
	for n < len(f.pending) && !f.pending[n].at.After(now) {
		f.pending[n].c <- now
		n++
	}
	f.pending = slices.Delete(f.pending, 0, n)
}

// Pending returns the number of timers that have neither fired nor been
// stopped.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending)
}

// BlockUntil waits until at least n timers are pending. It returns nil then,
// or the cause of ctx's end if ctx ends first. It does not poll: it wakes
// whenever a timer is created.
func (f *Fake) BlockUntil(ctx context.Context, n int) error {
	return f.waitUntil(ctx, func() bool { return len(f.pending) >= n })
}

// BlockUntilTimer waits until a pending timer is due exactly d after the
// current fake time. It returns nil then, or the cause of ctx's end if ctx
// ends first. A test uses it to know that the code under test is waiting
// for d before it advances the time.
func (f *Fake) BlockUntilTimer(ctx context.Context, d time.Duration) error {
	return f.waitUntil(ctx, func() bool {
		at := f.now.Add(d)
		return slices.ContainsFunc(f.pending, func(t *fakeTimer) bool { return t.at.Equal(at) })
	})
}

// waitUntil waits until ok, called with f.mu held, reports true, checking
// again whenever a timer is created. It returns nil then, or the cause of
// ctx's end if ctx ends first.
func (f *Fake) waitUntil(ctx context.Context, ok func() bool) error {
	for {
		f.mu.Lock()
		done, changed := ok(), f.changed
		f.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

type fakeTimer struct {
	f  *Fake
	at time.Time
	c  chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	i := slices.Index(t.f.pending, t)
	if i < 0 {
		return false
	}
	t.f.pending = slices.Delete(t.f.pending, i, i+1)
	return true
}
