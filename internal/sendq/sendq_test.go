package sendq

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/clock"
)

func TestValuesAreSentInOrderAndCloseWaitsForThem(t *testing.T) {
	var mu sync.Mutex
	var got []int
	q := Start(Config{What: "number"}, func(_ context.Context, v int) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, v)
		return nil
	})
	for i := range 10 {
		q.Put(i)
	}
	q.Close(t.Context())
	for i, v := range got {
		if v != i {
			t.Fatalf("sent %v, want 0..9 in order", got)
		}
	}
	if len(got) != 10 {
		t.Fatalf("sent %v, want 0..9", got)
	}
	q.Put(10) // closed: dropped, no panic
}

func TestAFailedSendIsRetriedAfterTheBackOff(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	tries := make(chan int, 10)
	n := 0
	q := Start(Config{What: "number", Tries: 3, Backoff: time.Second, Clock: fc}, func(_ context.Context, v int) error {
		n++
		tries <- n
		if n < 3 {
			return errors.New("refused")
		}
		return nil
	})
	defer q.Close(t.Context())
	q.Put(1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for want, wait := range []time.Duration{0, time.Second, 2 * time.Second} {
		if wait > 0 {
			if err := fc.BlockUntilTimer(ctx, wait); err != nil {
				t.Fatalf("no back-off of %s before try %d: %v", wait, want+1, err)
			}
			fc.Advance(wait)
		}
		select {
		case got := <-tries:
			if got != want+1 {
				t.Fatalf("try %d, want %d", got, want+1)
			}
		case <-ctx.Done():
			t.Fatalf("try %d never came", want+1)
		}
	}
}

func TestASendThatHangsEndsAtItsTimeoutAndTheNextValueGoesOn(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC))
	sent := make(chan int, 1)
	q := Start(Config{What: "number", Tries: 1, Timeout: 5 * time.Second, Clock: fc}, func(ctx context.Context, v int) error {
		if v == 1 {
			<-ctx.Done() // hangs until the timeout
			return ctx.Err()
		}
		sent <- v
		return nil
	})
	defer q.Close(t.Context())
	q.Put(1)
	q.Put(2)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := fc.BlockUntilTimer(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	fc.Advance(5 * time.Second)
	select {
	case v := <-sent:
		if v != 2 {
			t.Errorf("sent %d, want 2", v)
		}
	case <-ctx.Done():
		t.Fatal("the value after the hanging one was never sent")
	}
}

func TestAFullQueueDropsWhatDoesNotFit(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var got []int
	q := Start(Config{What: "number", Size: 2}, func(_ context.Context, v int) error {
		if v == 0 {
			close(started)
			<-release
		}
		mu.Lock()
		got = append(got, v)
		mu.Unlock()
		return nil
	})
	q.Put(0)
	<-started // 0 is out of the queue: exactly 2 places are free
	for i := 1; i <= 5; i++ {
		q.Put(i) // 3, 4 and 5 do not fit
	}
	close(release)
	q.Close(t.Context())
	if len(got) != 3 || got[1] != 1 || got[2] != 2 {
		t.Errorf("sent %v, want [0 1 2]", got)
	}
}

func TestCloseGivesUpWhenItsContextEnds(t *testing.T) {
	q := Start(Config{What: "number", Timeout: time.Hour}, func(ctx context.Context, v int) error {
		<-ctx.Done()
		return ctx.Err()
	})
	q.Put(1)
	q.Put(2)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	q.Close(ctx) // returns: neither value waits an hour
}
