package semaphore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/reqcount"
)

// waitersPerClient is how many waiters of the benchmark share one client
// and one Semaphore (real nodes each have their own; each wait has its own
// lease either way), so that 1000 waiters need 10 connections, not 1000.
const waitersPerClient = 100

// BenchmarkContendedHandoff measures, with 10, 100 and 1000 waiters queued
// for a semaphore of one slot, what a cycle costs: a holder releases, the
// first waiter takes the slot, the next waiter moves to the head of the
// queue, and the former holder queues again. Every client's requests are
// counted by gRPC interceptors (see internal/testkit/reqcount):
//
//   - reqs/cycle: unary calls plus messages sent on streams (watch create
//     and cancel requests, lease keep-alives), the figure that must not
//     grow with the number of waiters;
//   - unary/cycle and stream-sent/cycle: its two parts;
//   - stream-recv/cycle: messages received on streams (watch events and
//     created notices, keep-alive responses);
//   - handoff-p50-ms, handoff-p99-ms: from the moment a holder calls
//     Release until the next waiter's Acquire returns.
//
// The setup (queueing every waiter) is not timed and not counted. The
// measurement ends when the b.N-th waiter holds the slot, so the last
// cycle's tail (the next waiter moving up, the former holder queueing
// again) is not counted: with -benchtime=1x the figures are a lower bound.
func BenchmarkContendedHandoff(b *testing.B) {
	srv := embedetcd.StartT(b)
	runs := 0
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("waiters=%d", n), func(b *testing.B) {
			runs++
			benchHandoff(b, srv, fmt.Sprintf("bench-%d", runs), n, 1)
		})
	}
}

// BenchmarkContendedMax is BenchmarkContendedHandoff with 50 slots, all
// taken at the start and given back at once: up to 50 holders release
// together, and the head of the queue admits waiters in batches. It
// reports the same request counts per cycle (one acquire and release);
// the handoff latencies are left out, as releases overlap.
func BenchmarkContendedMax(b *testing.B) {
	srv := embedetcd.StartT(b)
	runs := 0
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("waiters=%d", n), func(b *testing.B) {
			runs++
			benchHandoff(b, srv, fmt.Sprintf("bench-max-%d", runs), n, 50)
		})
	}
}

func benchHandoff(b *testing.B, srv *embedetcd.Server, group string, n, slots int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rc reqcount.Counter
	var watching atomic.Int64
	queued := make(chan struct{}) // closed once every waiter watches
	hook := withSettled(func() {
		if watching.Add(1) == int64(n) {
			close(queued)
		}
	})
	var sems []*Semaphore
	for range (n + waitersPerClient - 1) / waitersPerClient {
		s := New(countingClient(b, srv, &rc), group, hook, withPoll(time.Hour)) // the handoff without polls
		defer s.Close()
		sems = append(sems, s)
	}
	holder := sems[0]
	if _, err := holder.SetMax(ctx, slots); err != nil {
		b.Fatal(err)
	}
	for i := range slots {
		if err := holder.TryAcquire(ctx, Holder{ID: fmt.Sprintf("first-%d", i)}); err != nil {
			b.Fatal(err)
		}
	}

	var (
		releasedAt atomic.Int64 // UnixNano when the last holder called Release
		mu         sync.Mutex
		handoffs   []time.Duration
		done       = make(chan struct{})
		failed     = make(chan error, n+slots)
		wg         sync.WaitGroup
	)
	// handoff records one acquisition; it reports false once b.N were seen.
	handoff := func() bool {
		lat := time.Since(time.Unix(0, releasedAt.Load()))
		mu.Lock()
		defer mu.Unlock()
		handoffs = append(handoffs, lat)
		if len(handoffs) == b.N {
			close(done)
		}
		return len(handoffs) < b.N
	}
	for i := range n {
		s, id := sems[i/waitersPerClient], fmt.Sprintf("waiter-%04d", i)
		wg.Go(func() {
			for {
				if err := s.Acquire(ctx, Holder{ID: id}); err != nil {
					if ctx.Err() == nil {
						failed <- err
					}
					return
				}
				if !handoff() {
					return
				}
				releasedAt.Store(time.Now().UnixNano())
				if err := s.Release(ctx, id); err != nil {
					failed <- err
					return
				}
			}
		})
	}
	select {
	case <-queued:
	case err := <-failed:
		b.Fatal(err)
	}

	before := rc.Counts()
	b.ResetTimer()
	releasedAt.Store(time.Now().UnixNano())
	for i := range slots {
		wg.Go(func() {
			if err := holder.Release(ctx, fmt.Sprintf("first-%d", i)); err != nil {
				failed <- err
			}
		})
	}
	select {
	case <-done:
	case err := <-failed:
		b.Fatal(err)
	}
	b.StopTimer()
	cycles, counts := float64(b.N), rc.Counts().Sub(before)
	b.ReportMetric(float64(counts.Requests())/cycles, "reqs/cycle")
	b.ReportMetric(float64(counts.Unary)/cycles, "unary/cycle")
	b.ReportMetric(float64(counts.StreamMessages)/cycles, "stream-sent/cycle")
	b.ReportMetric(float64(counts.StreamReceived)/cycles, "stream-recv/cycle")
	if slots == 1 {
		mu.Lock()
		slices.Sort(handoffs)
		b.ReportMetric(ms(percentile(handoffs, 50)), "handoff-p50-ms")
		b.ReportMetric(ms(percentile(handoffs, 99)), "handoff-p99-ms")
		mu.Unlock()
	}
	cancel()
	wg.Wait()
}

// percentile returns the p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
