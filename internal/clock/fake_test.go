package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

var epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func fired(t Timer) bool {
	select {
	case <-t.C():
		return true
	default:
		return false
	}
}

func TestFakeTimersFireInOrderOnAdvance(t *testing.T) {
	f := NewFake(epoch)
	a, b := f.NewTimer(2*time.Second), f.NewTimer(time.Second)
	if f.Pending() != 2 {
		t.Fatalf("Pending = %d, want 2", f.Pending())
	}
	f.Advance(time.Second)
	if fired(a) || !fired(b) {
		t.Fatal("after 1s only the 1s timer must have fired")
	}
	f.Advance(time.Second)
	if !fired(a) {
		t.Fatal("2s timer did not fire at 2s")
	}
	if got := f.Now(); !got.Equal(epoch.Add(2 * time.Second)) {
		t.Fatalf("Now = %v", got)
	}
	if f.Pending() != 0 {
		t.Fatalf("Pending = %d after all fired", f.Pending())
	}
}

func TestFakeStopAndImmediate(t *testing.T) {
	f := NewFake(epoch)
	a := f.NewTimer(time.Minute)
	if !a.Stop() || a.Stop() {
		t.Fatal("Stop must report true once, then false")
	}
	f.Advance(time.Hour)
	if fired(a) {
		t.Fatal("stopped timer fired")
	}
	if z := f.NewTimer(0); !fired(z) || f.Pending() != 0 {
		t.Fatal("zero timer must fire at once and not be pending")
	}
}

func TestFakeSet(t *testing.T) {
	f := NewFake(epoch)
	a := f.NewTimer(time.Hour)
	f.Set(epoch.Add(-time.Hour))
	if fired(a) {
		t.Fatal("timer fired when time moved backward")
	}
	f.Set(epoch.Add(time.Hour))
	if !fired(a) {
		t.Fatal("timer did not fire when time was set past it")
	}
}

func TestBlockUntil(t *testing.T) {
	f := NewFake(epoch)
	done := make(chan error, 1)
	go func() { done <- Sleep(context.Background(), f, time.Minute) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Fatalf("Sleep = %v", err)
	}
	short, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := f.BlockUntil(short, 5); !errors.Is(err, context.Canceled) {
		t.Fatalf("BlockUntil on cancelled ctx = %v", err)
	}
}

func TestBlockUntilTimer(t *testing.T) {
	f := NewFake(epoch)
	f.NewTimer(time.Second)
	done := make(chan error, 1)
	go func() { done <- Sleep(context.Background(), f, time.Hour) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.BlockUntilTimer(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Hour)
	if err := <-done; err != nil {
		t.Fatalf("Sleep = %v", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel2()
	if err := f.BlockUntilTimer(short, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("BlockUntilTimer for a timer nobody sets = %v", err)
	}
}

func TestSleepCancelled(t *testing.T) {
	f := NewFake(epoch)
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("stop")
	cancel(cause)
	if err := Sleep(ctx, f, time.Hour); !errors.Is(err, cause) {
		t.Fatalf("Sleep = %v, want the cause", err)
	}
	if f.Pending() != 0 {
		t.Fatal("Sleep left its timer pending")
	}
}

func TestWithTimeout(t *testing.T) {
	f := NewFake(epoch)
	ctx, cancel := WithTimeout(context.Background(), f, time.Minute)
	defer cancel()
	f.Advance(59 * time.Second)
	if ctx.Err() != nil {
		t.Fatal("context ended before its time")
	}
	f.Advance(time.Second)
	<-ctx.Done()
	var te *TimeoutError
	if cause := context.Cause(ctx); !errors.Is(cause, context.DeadlineExceeded) || !errors.As(cause, &te) ||
		te.After != time.Minute || cause.Error() != "timed out after 1m0s" {
		t.Fatalf("cause = %v, want a TimeoutError after 1m", cause)
	}

	ctx2, cancel2 := WithTimeout(context.Background(), f, time.Minute)
	cancel2()
	<-ctx2.Done()
	if f.Pending() != 0 {
		t.Fatalf("cancel left %d timers pending", f.Pending())
	}
	if !errors.Is(context.Cause(ctx2), context.Canceled) {
		t.Fatalf("cause after cancel = %v", context.Cause(ctx2))
	}
}

func TestReal(t *testing.T) {
	before := time.Now()
	if Real.Now().Before(before) {
		t.Fatal("Real.Now went backwards")
	}
	tm := Real.NewTimer(0)
	<-tm.C()
	if tm.Stop() {
		t.Fatal("Stop of a fired timer reported true")
	}
}
