package e2e_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/internal/sim/monitor"
	"locksmith.dev/locksmith/internal/testkit/etcdproc"
	"locksmith.dev/locksmith/internal/testkit/testbin"
	"locksmith.dev/locksmith/semaphore"
)

// The liveness bounds the fault tests hold locksmithd to (see the README's "Timeouts"): with one
// etcd member killed or frozen, no slot stays free for longer than idleBound while a node waits;
// after all members were down, no slot stays free for longer than outageBound once a quorum is
// back (no slot is free when the outage begins, and nothing is written during it).
const (
	idleBound   = 3 * time.Second
	outageBound = 2 * time.Second
)

// The fleet of the fault tests: 6 nodes at max 2, reboots of 2 s, an ideal rollout of 6 s.
const (
	faultNodes = 6
	rebootTime = 2 * time.Second
)

// faultLength is how long a fault lasts: 5 s by default (10 s for the outage); with
// LOCKSMITH_FAULTS=long (make faults), as long as the bounds promise to hold for (a member frozen
// for 20 s, all members down for 30 s).
func faultLength(outage bool) time.Duration {
	long := os.Getenv("LOCKSMITH_FAULTS") == "long"
	switch {
	case outage && long:
		return 30 * time.Second
	case outage:
		return 10 * time.Second
	case long:
		return 20 * time.Second
	}
	return 5 * time.Second
}

// A fault is what a fault test does to the etcd cluster, and undoes: all members killed (-9)
// and restarted, or one member, the leader or a follower, killed and restarted, or frozen
// (SIGSTOP) and resumed. The observer reads member observed, which a single fault leaves alone,
// so that its clock is not the frozen member's.
type fault struct {
	name     string
	outage   bool // all members down
	follower bool // one follower, else the leader
	freeze   bool // SIGSTOP, else kill -9
}

// observed is the member the observer reads.
const observed = 0

var faults = []fault{
	{name: "LeaderKilled"},
	{name: "LeaderFrozen", freeze: true},
	{name: "FollowerFrozen", follower: true, freeze: true},
	{name: "AllMembersDown", outage: true},
}

// inject starts f and returns what it did, and the function that ends it.
func (f fault) inject(ctx context.Context, c *etcdproc.Cluster) (string, func(), error) {
	if f.outage {
		c.KillAll()
		return "killed (-9) every member", func() { c.RestartAll() }, nil
	}
	leader, err := c.AvoidLeader(ctx, observed)
	if err != nil {
		return "", nil, err
	}
	member, role := leader, "the leader"
	if f.follower {
		member, role = 1, "a follower"
		if member == leader {
			member = 2
		}
	}
	if f.freeze {
		c.Stop(member)
		return fmt.Sprintf("froze (SIGSTOP) %s, member %d (leader: %d)", role, member, leader), func() { c.Cont(member) }, nil
	}
	c.Kill(member)
	return fmt.Sprintf("killed (-9) %s, member %d (leader: %d)", role, member, leader), func() { c.Restart(member) }, nil
}

// TestFault rolls a reboot out to 6 real locksmithd processes sharing a semaphore of max 2 in a
// three-member etcd cluster, with reboots of 2 s, and injects one fault into etcd once both slots
// are taken and 4 nodes wait. The monitor, which reads one member that the fault leaves alone,
// must never see more holders than max, nor a slot taken out of queue order, nor a slot free for
// longer than the bound while a node waits; every node reboots once. The outage starts while
// both holders are down, so that no slot is free when it begins; they come back during it.
//
// LOCKSMITHD_BIN names a locksmithd binary to test instead of building this one (to measure an
// older version: its figures are logged, and the bound fails it).
func TestFault(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: starts 3 etcd members and 6 locksmithd processes per fault")
	}
	bin := os.Getenv("LOCKSMITHD_BIN")
	if bin == "" {
		bin = testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmithd")
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) { runFault(t, bin, f) })
	}
}

func runFault(t *testing.T, bin string, f fault) {
	cluster := etcdproc.StartCluster(t, members)
	ctx, cancel := context.WithTimeoutCause(context.Background(), rolloutPatience,
		fmt.Errorf("the rollout took longer than %s", rolloutPatience))
	t.Cleanup(cancel)
	cli, err := etcdclient.New(etcdclient.Config{Endpoints: cluster.Endpoints()[observed : observed+1]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	sem := semaphore.New(cli, group)
	t.Cleanup(func() { _ = sem.Close() })
	if _, err := sem.SetMax(ctx, slots); err != nil {
		t.Fatal(err)
	}
	obs := startObserver(ctx, t, cli, group)
	nodes := make([]*node, faultNodes)
	for i := range nodes {
		nodes[i] = newNode(t, i, bin, cluster.Endpoints(), group)
		if err := nodes[i].startIdle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	began, logf := stopwatch(t)
	ts := newTasks(ctx, t)
	pace := newPacer()
	pace.downtime = rebootTime
	defer pace.openAll()
	if !f.outage {
		pace.openAll()
	}
	serveAll(ts, obs, pace, nodes)
	announce(t, nodes)
	if _, err := obs.until(ts.ctx, "both slots are taken and 4 nodes wait", func(r monitor.GroupResult) bool {
		return len(r.Holders) == slots && len(r.Waiting) == faultNodes-slots
	}); err != nil {
		t.Fatal(err)
	}

	did, undo, err := f.inject(ts.ctx, cluster)
	if err != nil {
		t.Fatal(err)
	}
	logf("%s for %s; monitor saw %s", did, faultLength(f.outage), summary(obs.result()))
	pace.openAll()
	select {
	case <-time.After(faultLength(f.outage)): // the length of the fault, not a synchronisation
	case <-ts.ctx.Done():
		undo()
		t.Fatal(context.Cause(ts.ctx))
	}
	undo()
	healed := time.Now()
	logf("fault over; monitor saw %s", summary(obs.result()))

	finishRollout(t, ts, obs, nodes)
	logf("every node has rebooted and every slot is released")
	checkFleet(t, nodes, -1)
	checkSemaphore(ctx, t, sem)
	checkObserved(t, obs, nodes)
	checkLiveness(t, obs, f, began, healed)
}

// checkLiveness checks the liveness bound of f, and logs the figures BENCHMARKS.md reports.
func checkLiveness(t *testing.T, obs *observer, f fault, began, healed time.Time) {
	t.Helper()
	r := obs.result()
	bound := idleBound
	if f.outage {
		bound = outageBound
	}
	var releases []time.Duration // after the fault ended
	var rollout time.Duration    // until the last release
	for _, e := range obs.mon.Result().Events {
		if e.Kind != monitor.Release {
			continue
		}
		rollout = e.Time.Sub(began)
		if e.Time.After(healed) {
			releases = append(releases, e.Time.Sub(healed).Round(10*time.Millisecond))
		}
	}
	t.Logf("liveness: %s, %s fault: longest slot free while a node waited %s (at %.1fs; bound %s); rollout %.1fs; first releases after the fault ended %v",
		f.name, faultLength(f.outage), r.LongestIdle.Round(10*time.Millisecond), r.LongestIdleFrom.Sub(began).Seconds(), bound,
		rollout.Seconds(), releases[:min(len(releases), 2)])
	if r.LongestIdle > bound {
		t.Errorf("a slot stayed free for %s while a node waited (from %.1fs into the rollout), want at most %s\nmonitor's events:\n%s",
			r.LongestIdle, r.LongestIdleFrom.Sub(began).Seconds(), bound, obs.timeline())
	}
	if h := slices.Max(append(r.Handoffs, 0)); h > bound {
		t.Errorf("a handoff took %s, want at most %s", h, bound)
	}
}
