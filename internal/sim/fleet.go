package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/sim/monitor"
	"locksmith.dev/locksmith/internal/testkit/reqcount"
	"locksmith.dev/locksmith/strategy"
)

// The ways nodes wait for a slot.
const (
	// ModeWatch: the daemon's own Lock, the semaphore's watch-based FIFO
	// queue.
	ModeWatch = "watch"
	// ModeBaseline: old locksmith's polling with back-off.
	ModeBaseline = "baseline"
)

// ErrGroupInUse is returned when etcd has keys of a group of the run (its
// semaphore key or any key under it) before the run starts: left by an
// earlier run that was killed, or used by another one.
var ErrGroupInUse = errors.New("reboot group already in use")

// phase is where a node is in its rollout.
type phase int

const (
	phaseStarting  phase = iota // before the update is announced
	phaseWaiting                // needs a reboot, holds no slot
	phaseHolding                // holds a slot: before going down, or back up and not released yet
	phaseRebooting              // down
	phaseDone                   // back up, slot released
	phaseFailed                 // never came back
	numPhases
)

// counts is the number of nodes in each phase.
type counts [numPhases]int

// fleet is one run of all nodes in one mode.
type fleet struct {
	opts      Options
	mode      string
	groups    []string
	endpoints []string
	schedule  strategy.Schedule
	clk       *scaledClock
	logger    *slog.Logger
	counter   reqcount.Counter
	mon       *monitor.Monitor
	fleetURL  string          // of the FleetLock server of the run, when it has FleetLock nodes
	journal   *history.Memory // the daemons' history events, with Options.Timeline in the watch run
	announced chan struct{}   // closed when the update is announced
	allReady  chan struct{}   // closed when every node is idle in its first boot
	allDone   chan struct{}   // closed when every node is done or dead
	// afterDone, set by tests, runs once all nodes are done, before the
	// monitor's final read.
	afterDone func(ctx context.Context, admin *clientv3.Client, groups []string) error

	mu        sync.Mutex
	nodes     []*node
	counts    counts
	ready     int
	remaining int
	down      map[string]int // nodes of a group down (and coming back) now
	maxDown   map[string]int
	start     time.Time // when the update was announced
	lastDone  map[string]time.Time
}

// newFleet draws the nodes of a run. The same seed draws the same reboot
// times and failures in every mode.
func newFleet(o Options, mode string, seed uint64, endpoints []string, logger *slog.Logger) (*fleet, error) {
	sched, err := o.schedule()
	if err != nil {
		return nil, err
	}
	f := &fleet{
		opts: o, mode: mode, endpoints: endpoints, schedule: sched, logger: logger,
		clk:       newScaledClock(o.StartAt, o.timeFactor()),
		announced: make(chan struct{}), allReady: make(chan struct{}), allDone: make(chan struct{}),
		remaining: o.Nodes, down: map[string]int{}, maxDown: map[string]int{}, lastDone: map[string]time.Time{},
	}
	for g := range o.Groups {
		f.groups = append(f.groups, fmt.Sprintf("%s-%s-%d", o.GroupPrefix, mode, g+1))
	}
	rng := rand.New(rand.NewPCG(seed, 0x10c45))
	for i := range o.Nodes {
		n := &node{id: fmt.Sprintf("node-%04d", i+1), group: f.groups[i%o.Groups], downFor: o.RebootTime}
		if o.Jitter > 0 {
			n.downFor += time.Duration(rng.Int64N(int64(2*o.Jitter)+1)) - o.Jitter
		}
		n.dies = rng.Float64() < o.FailureRate
		n.fleet, n.polls = f.usesFleetLock(i)
		f.nodes = append(f.nodes, n)
	}
	f.counts[phaseStarting] = o.Nodes
	return f, nil
}

// run runs the fleet until every node is done or dead, or the timeout;
// show is called with the progress while it runs. It starts only if etcd
// has no key of the run's groups, and deletes them all when it ends, also
// when it fails.
func (f *fleet) run(ctx context.Context, admin *clientv3.Client, timeout time.Duration, show func(elapsed time.Duration, c counts, final bool)) (_ *outcome, err error) {
	if err := f.checkGroupsUnused(ctx, admin, timeout); err != nil {
		return nil, fmt.Errorf("%s run: %w", f.mode, err)
	}
	defer func() {
		if derr := f.deleteGroups(ctx, admin); derr != nil {
			err = errors.Join(err, fmt.Errorf("%s run: %w", f.mode, derr))
		}
	}()
	if err := f.setMax(ctx, admin); err != nil {
		return nil, fmt.Errorf("%s run: %w", f.mode, err)
	}
	mon, err := monitor.Start(ctx, admin, monitor.Config{Groups: f.groups})
	if err != nil {
		return nil, fmt.Errorf("%s run: %w", f.mode, err)
	}
	defer mon.Stop()
	f.mon = mon
	if f.opts.FleetLockNodes > 0 {
		stopServer, err := f.startFleetLock()
		if err != nil {
			return nil, fmt.Errorf("%s run: %w", f.mode, err)
		}
		defer stopServer()
	}

	cpuBefore := cpuTime()
	rctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%s run: %w after %s", f.mode, ErrTimeout, timeout))
	defer cancel()
	nctx, stopNodes := context.WithCancel(rctx)
	var wg sync.WaitGroup
	errs := make(chan error, len(f.nodes))
	for _, n := range f.nodes {
		wg.Go(func() {
			if err := n.run(nctx, f); err != nil {
				errs <- err
			}
		})
	}
	stop := func() { stopNodes(); wg.Wait() }

	select {
	case <-f.allReady:
	case err := <-errs:
		stop()
		return nil, err
	case <-rctx.Done():
		stop()
		return nil, fmt.Errorf("nodes starting: %w", context.Cause(rctx))
	}
	f.announce()
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		f.showProgress(rctx, show)
	}()
	var runErr error
	select {
	case <-f.allDone:
	case runErr = <-errs:
	case <-rctx.Done():
		runErr = context.Cause(rctx)
	}
	end := time.Now()
	stop()
	cancel()
	<-progressDone

	out := f.outcome(end)
	out.cpu = cpuTime() - cpuBefore
	if f.afterDone != nil && runErr == nil {
		runErr = f.afterDone(ctx, admin, f.groups)
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	defer scancel()
	if err := mon.Sync(sctx); err != nil && runErr == nil {
		runErr = err
	}
	out.monitor = mon.Result()
	out.requests, out.byMethod = f.counter.Counts(), f.counter.ByMethod()
	return out, runErr
}

// announce tells every node that a reboot is needed.
func (f *fleet) announce() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.start = time.Now()
	close(f.announced)
}

// event records a daemon event of node n in boot number boot.
func (f *fleet) event(n *node, boot int, ev daemon.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n.phase >= phaseRebooting { // events of a daemon on its way down, or of a finished node
		return
	}
	announced := !f.start.IsZero()
	switch {
	case boot == 0 && !announced:
		if ev.State == daemon.StateIdle && !n.ready {
			n.ready = true
			f.ready++
			if f.ready == len(f.nodes) {
				close(f.allReady)
			}
		}
	case boot > 0 && ev.State == daemon.StateIdle && !ev.Holding:
		f.setPhase(n, phaseDone)
		f.lastDone[n.group] = time.Now()
		f.finished()
	case ev.Holding || boot > 0:
		f.setPhase(n, phaseHolding)
	default:
		f.setPhase(n, phaseWaiting)
	}
}

// wentDown records that n asked for its reboot and is down.
func (f *fleet) wentDown(n *node) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n.reboots++
	if n.dies {
		f.setPhase(n, phaseFailed)
		f.finished()
		return
	}
	f.setPhase(n, phaseRebooting)
	f.down[n.group]++
	f.maxDown[n.group] = max(f.maxDown[n.group], f.down[n.group])
}

// cameUp records that n is back from its reboot.
func (f *fleet) cameUp(n *node) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n.boot++
	f.down[n.group]--
	f.setPhase(n, phaseHolding)
}

func (f *fleet) setPhase(n *node, p phase) {
	f.counts[n.phase]--
	n.phase = p
	f.counts[p]++
}

// finished counts one more node done or dead. f.mu is held.
func (f *fleet) finished() {
	f.remaining--
	if f.remaining == 0 {
		close(f.allDone)
	}
}

// showProgress calls show every progressInterval until ctx ends or every
// node is finished, and once more at the end.
func (f *fleet) showProgress(ctx context.Context, show func(time.Duration, counts, bool)) {
	t := time.NewTicker(progressInterval)
	defer t.Stop()
	snapshot := func() (time.Duration, counts) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return time.Since(f.start), f.counts
	}
	for {
		select {
		case <-t.C:
			e, c := snapshot()
			show(e, c, false)
		case <-f.allDone:
			e, c := snapshot()
			show(e, c, true)
			return
		case <-ctx.Done():
			e, c := snapshot()
			show(e, c, true)
			return
		}
	}
}

// cpuTime returns the CPU time used by this process so far, 0 if unknown.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
