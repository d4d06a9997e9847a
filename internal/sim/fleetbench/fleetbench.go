// Package fleetbench measures the FleetLock server (package fleetlock) on a real embedded etcd:
// clients that loop lock, hold briefly and unlock, and the handoff of a slot to a long-polling
// client. "locksmith-sim fleetlock-bench" runs it; BENCHMARKS.md has the figures.
package fleetbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"locksmith.dev/locksmith/fleetlock"
	"locksmith.dev/locksmith/fleetlock/server"
	"locksmith.dev/locksmith/internal/sim"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/semaphore"
)

// Options of one run.
type Options struct {
	Clients  int           // concurrent clients
	Max      int           // slots
	Duration time.Duration // of the contention phase, per mode
	Hold     time.Duration // how long a client holds its slot
	Retry    time.Duration // pause before a polling client asks again after 409
	Handoffs int           // handoffs measured
}

// Result is what one run measured.
type Result struct {
	Machine  string       `json:"machine"`
	Options  Options      `json:"options"`
	Polling  Contention   `json:"polling"`   // clients retry a 409 after Retry, as airlock's clients must
	LongPoll Contention   `json:"long_poll"` // clients wait in the pre-reboot (fleet-lock-wait)
	Handoff  Distribution `json:"handoff"`   // from the holder's steady-state sent to the waiter's 200
}

// Contention is the figures of clients looping lock → hold → unlock.
type Contention struct {
	Cycles         int          `json:"cycles"`
	CyclesPerSec   float64      `json:"cycles_per_second"`
	FailedUnlocks  int          `json:"failed_unlocks"`
	FailedLocks    int          `json:"failed_locks"` // errors other than a full semaphore
	Requests       Distribution `json:"requests"`     // every request that did not wait (polling: all)
	MostHolders    int          `json:"most_holders"` // the most holders etcd ever recorded
	ValuesObserved int          `json:"values_observed"`
}

// Distribution summarises durations.
type Distribution struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50"`
	P99 time.Duration `json:"p99"`
	Max time.Duration `json:"max"`
}

func summarise(d []time.Duration) Distribution {
	if len(d) == 0 {
		return Distribution{}
	}
	slices.Sort(d)
	return Distribution{N: len(d), P50: d[len(d)/2], P99: d[min(len(d)-1, len(d)*99/100)], Max: d[len(d)-1]}
}

// Run parses args (without "fleetlock-bench"), measures, and prints the figures (a table, or
// JSON with --json). It fails when holders ever exceeded max or an unlock failed.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("locksmith-sim fleetlock-bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	o := Options{}
	fs.IntVar(&o.Clients, "clients", 20, "concurrent FleetLock clients")
	fs.IntVar(&o.Max, "max", 2, "slots")
	fs.DurationVar(&o.Duration, "duration", 5*time.Second, "length of each contention phase")
	fs.DurationVar(&o.Hold, "hold", time.Millisecond, "how long a client holds its slot")
	fs.DurationVar(&o.Retry, "retry", 10*time.Millisecond, "pause of a polling client after 409")
	fs.IntVar(&o.Handoffs, "handoffs", 300, "handoffs to a long-polling client to measure")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %w", sim.ErrUsage, err)
	}
	if o.Clients < 1 || o.Max < 1 || o.Duration <= 0 || o.Handoffs < 1 {
		return fmt.Errorf("%w: --clients, --max, --duration and --handoffs must be positive", sim.ErrUsage)
	}
	res, err := Measure(ctx, o)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		print(stdout, res)
	}
	var bad []string
	for name, c := range map[string]Contention{"polling": res.Polling, "long-poll": res.LongPoll} {
		if c.MostHolders > o.Max || c.FailedUnlocks > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d holders at most (max %d), %d failed unlocks", name, c.MostHolders, o.Max, c.FailedUnlocks))
		}
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

// Measure runs the contention phases and the handoffs on a fresh embedded etcd.
func Measure(ctx context.Context, o Options) (Result, error) {
	res := Result{Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()), Options: o}
	dir, err := os.MkdirTemp("", "fleetbench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	etcd, err := embedetcd.Start(ctx, embedetcd.Config{Dir: dir})
	if err != nil {
		return res, err
	}
	defer etcd.Close()
	client, err := clientv3.New(clientv3.Config{Endpoints: etcd.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return res, err
	}
	defer client.Close()
	srv := server.New(client, server.Config{})
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	url := "http://" + ln.Addr().String()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Clients * 2}, Timeout: time.Minute}

	for i, mode := range []struct {
		r    *Contention
		wait bool
	}{{&res.Polling, false}, {&res.LongPoll, true}} {
		group := fmt.Sprintf("bench-%d", i)
		if _, err := semaphore.New(client, group).SetMax(ctx, o.Max); err != nil {
			return res, err
		}
		*mode.r, err = contend(ctx, client, url, hc, group, o, mode.wait)
		if err != nil {
			return res, err
		}
	}
	res.Handoff, err = handoffs(ctx, client, url, hc, o.Handoffs)
	return res, err
}

// contend runs o.Clients clients for o.Duration in group, while a watch checks every value.
func contend(ctx context.Context, client *clientv3.Client, url string, hc *http.Client, group string, o Options, wait bool) (Contention, error) {
	var c Contention
	obs, err := observe(ctx, client, semaphore.Key(group))
	if err != nil {
		return c, err
	}
	var mu sync.Mutex
	var lat []time.Duration
	var cycles, failedUnlocks, failedLocks atomic.Int64
	end := time.Now().Add(o.Duration)
	var wg sync.WaitGroup
	for i := range o.Clients {
		fc := &fleetlock.Client{URL: url, ID: fmt.Sprintf("client-%d", i), Group: group, HTTP: hc}
		wg.Go(func() {
			var mine []time.Duration
			defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
			for time.Now().Before(end) && ctx.Err() == nil {
				longPoll := time.Duration(0)
				if wait {
					longPoll = time.Until(end)
				}
				t0 := time.Now()
				_, err := fc.TryLock(ctx, longPoll)
				if !wait {
					mine = append(mine, time.Since(t0))
				}
				if errors.Is(err, fleetlock.ErrSemaphoreFull) {
					if !wait {
						time.Sleep(o.Retry) // a polling client's pause, as the protocol has it
					}
					continue
				}
				if err != nil {
					failedLocks.Add(1)
					continue
				}
				time.Sleep(o.Hold) // the simulated reboot
				t1 := time.Now()
				if err := fc.Unlock(ctx); err != nil {
					failedUnlocks.Add(1)
				} else {
					cycles.Add(1)
				}
				mine = append(mine, time.Since(t1))
			}
			// Leave no place behind: a client that stopped waiting gives its place up.
			_ = fc.Unlock(context.WithoutCancel(ctx))
		})
	}
	wg.Wait()
	most, values := obs.stop()
	c.Cycles, c.FailedUnlocks, c.FailedLocks = int(cycles.Load()), int(failedUnlocks.Load()), int(failedLocks.Load())
	c.CyclesPerSec = float64(c.Cycles) / o.Duration.Seconds()
	c.Requests = summarise(lat)
	c.MostHolders, c.ValuesObserved = most, values
	return c, nil
}

// handoffs measures, n times, the time from a holder's steady-state sent to a long-polling
// waiter's 200, with one slot.
func handoffs(ctx context.Context, client *clientv3.Client, url string, hc *http.Client, n int) (Distribution, error) {
	queue := semaphore.Key("handoff") + "/waiters/"
	a := &fleetlock.Client{URL: url, ID: "holder", Group: "handoff", HTTP: hc}
	b := &fleetlock.Client{URL: url, ID: "waiter", Group: "handoff", HTTP: hc}
	var d []time.Duration
	for range n {
		if _, err := a.TryLock(ctx, time.Minute); err != nil {
			return Distribution{}, fmt.Errorf("handoff: lock: %w", err)
		}
		got := make(chan time.Time, 1)
		errc := make(chan error, 1)
		now, err := client.Get(ctx, queue, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			return Distribution{}, fmt.Errorf("handoff: %w", err)
		}
		wctx, stopWatch := context.WithCancel(ctx)
		queued := client.Watch(wctx, queue, clientv3.WithPrefix(), clientv3.WithFilterDelete(), clientv3.WithRev(now.Header.Revision+1))
		go func() {
			if _, err := b.TryLock(ctx, time.Minute); err != nil {
				errc <- err
				return
			}
			got <- time.Now()
		}()
		select { // the waiter's key is in the queue: the server waits for the slot on its behalf
		case <-queued:
		case err := <-errc:
			stopWatch()
			return Distribution{}, fmt.Errorf("handoff: waiter: %w", err)
		}
		stopWatch()
		t0 := time.Now()
		if err := a.Unlock(ctx); err != nil {
			return Distribution{}, fmt.Errorf("handoff: unlock: %w", err)
		}
		select {
		case t := <-got:
			d = append(d, t.Sub(t0))
		case err := <-errc:
			return Distribution{}, fmt.Errorf("handoff: waiter: %w", err)
		}
		if err := b.Unlock(ctx); err != nil {
			return Distribution{}, fmt.Errorf("handoff: unlock: %w", err)
		}
	}
	return summarise(d), nil
}

// print writes the figures as a table.
func print(w io.Writer, r Result) {
	fmt.Fprintf(w, "FleetLock server on an embedded etcd (%s)\n", r.Machine)
	fmt.Fprintf(w, "%d clients, %d slots, hold %s, %s per mode\n\n", r.Options.Clients, r.Options.Max, r.Options.Hold, r.Options.Duration)
	fmt.Fprintf(w, "%-10s %8s %10s %14s %12s %12s %12s %12s\n", "mode", "cycles", "cycles/s", "failed unlock", "req p50", "req p99", "most held", "values seen")
	for _, m := range []struct {
		name string
		c    Contention
	}{{"polling", r.Polling}, {"long-poll", r.LongPoll}} {
		fmt.Fprintf(w, "%-10s %8d %10.1f %14d %12s %12s %12d %12d\n", m.name, m.c.Cycles, m.c.CyclesPerSec, m.c.FailedUnlocks,
			m.c.Requests.P50.Round(10*time.Microsecond), m.c.Requests.P99.Round(10*time.Microsecond), m.c.MostHolders, m.c.ValuesObserved)
	}
	fmt.Fprintf(w, "\nhandoff to a long-polling client (steady-state sent → waiter's 200), %d times: p50 %s, p99 %s, max %s\n",
		r.Handoff.N, r.Handoff.P50.Round(10*time.Microsecond), r.Handoff.P99.Round(10*time.Microsecond), r.Handoff.Max.Round(10*time.Microsecond))
}
