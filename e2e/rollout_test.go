package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/sim/monitor"
	"locksmith.dev/locksmith/internal/testkit/etcdproc"
	"locksmith.dev/locksmith/internal/testkit/testbin"
	"locksmith.dev/locksmith/semaphore"
)

const (
	group   = "e2e"
	members = 3 // etcd cluster size
	fleet   = 8 // locksmithd processes
	slots   = 2 // the semaphore's max
	// progress is how many releases the monitor must see while an etcd
	// fault lasts: the rollout goes on without the member.
	progress = 2
	// faultPatience bounds the wait for that progress.
	faultPatience = 2 * time.Minute
	// rolloutPatience bounds the whole rollout, faults included.
	rolloutPatience = 4 * time.Minute
)

// gate is the pre-reboot command of the daemons the test kills while they
// hold a slot: it lasts as long as the daemon (its parent) lives, so that
// the daemon holds its slot without rebooting until it is killed.
const gate = "--pre-reboot-command=exec tail -f --pid=$PPID /dev/null"

// Node roles: sameBoot is killed while it holds a slot and restarted with
// the same boot id (it must still reboot); newBoot is killed while it
// holds a slot and restarted with a new boot id, as if the kill were a
// crash of the host that rebooted it into the update (it must run its
// check and release the slot, without a logind reboot).
const (
	sameBoot = 0
	newBoot  = 1
)

// TestRolloutUnderFaults rolls a reboot out to a fleet of real locksmithd
// processes sharing a semaphore of max 2 in a three-member etcd cluster,
// all needing the reboot at once, while etcd members are killed and frozen
// and daemons holding a slot are killed. A logind Reboot call makes the
// harness shut the daemon down (SIGTERM), check that it kept its slot,
// give the node a new boot id and an update_engine that applied the
// update, and start the daemon again, which must run its post-reboot check
// and release the slot. Throughout, the monitor (which reads etcd only)
// must never see more than 2 holders nor a slot taken out of queue order;
// at the end every node has rebooted exactly once and no slot is held.
func TestRolloutUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: starts 3 etcd members and 8 locksmithd processes")
	}
	bin := testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmithd")
	cluster := etcdproc.StartCluster(t, members)
	ctx, cancel := context.WithTimeoutCause(context.Background(), rolloutPatience,
		fmt.Errorf("the rollout took longer than %s", rolloutPatience))
	t.Cleanup(cancel)
	cli := cluster.Client(t) // with keep-alive pings: it leaves a frozen member
	sem := semaphore.New(cli, group)
	t.Cleanup(func() { _ = sem.Close() })
	if _, err := sem.SetMax(ctx, slots); err != nil {
		t.Fatal(err)
	}
	obs := startObserver(ctx, t, cli, group)

	nodes := make([]*node, fleet)
	for i := range nodes {
		nodes[i] = newNode(t, i, bin, cluster.Endpoints(), group)
		var extra []string
		if i == sameBoot || i == newBoot {
			extra = []string{gate}
		}
		if err := nodes[i].startIdle(ctx, extra...); err != nil {
			t.Fatal(err)
		}
	}

	_, logf := stopwatch(t)
	ts := newTasks(ctx, t)
	pace := newPacer()
	serveAll(ts, obs, pace, nodes)
	ts.Go("crash of "+nodes[sameBoot].name, func(ctx context.Context) error {
		return crashHolder(ctx, obs, nodes[sameBoot], false, logf)
	})
	ts.Go("crash of "+nodes[newBoot].name, func(ctx context.Context) error {
		return crashHolder(ctx, obs, nodes[newBoot], true, logf)
	})
	announce(t, nodes)
	logf("all %d nodes need a reboot", fleet)

	if err := etcdFaults(ts.ctx, cluster, obs, pace, logf); err != nil {
		ts.fail(err)
		t.FailNow()
	}
	finishRollout(t, ts, obs, nodes)
	logf("every node has rebooted and every slot is released")

	checkFleet(t, nodes, newBoot)
	checkSemaphore(ctx, t, sem)
	checkObserved(t, obs, nodes)
}

// stopwatch returns the time now and a function that logs with the seconds since.
func stopwatch(t *testing.T) (time.Time, func(format string, args ...any)) {
	began := time.Now()
	return began, func(format string, args ...any) {
		t.Logf("%6.1fs: %s", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
}

// serveAll serves the reboots of every node (serveReboots) as tasks of ts.
func serveAll(ts *tasks, obs *observer, pace *pacer, nodes []*node) {
	for _, n := range nodes {
		ts.Go(n.name+" reboots", func(ctx context.Context) error { return serveReboots(ctx, obs, pace, n) })
	}
}

// announce has every node's update_engine say that a reboot is needed.
func announce(t *testing.T, nodes []*node) {
	t.Helper()
	for _, n := range nodes {
		if err := n.ue.SetStatusAndEmit(needReboot); err != nil {
			t.Fatalf("%s: %v", n.name, err)
		}
	}
}

// finishRollout waits until every node has rebooted and every slot is released, then shuts the
// daemons down (SIGTERM: each must exit 0) and stops the tasks. It ends the test if any of that
// failed, or if a task failed.
func finishRollout(t *testing.T, ts *tasks, obs *observer, nodes []*node) {
	t.Helper()
	for _, n := range nodes {
		select {
		case <-n.booted:
		case <-ts.ctx.Done():
			t.Fatalf("%s never rebooted: %v; monitor saw %s", n.name, context.Cause(ts.ctx), summary(obs.result()))
		}
	}
	if _, err := obs.until(ts.ctx, "every slot is released", func(r monitor.GroupResult) bool {
		return len(r.Holders) == 0 && len(r.Waiting) == 0
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := n.terminate(ts.ctx); err != nil {
			t.Error(err)
		}
	}
	ts.stop()
	if t.Failed() {
		t.FailNow()
	}
}

// serveReboots reboots n whenever its logind is asked to, until ctx ends:
// the daemon is shut down (SIGTERM) and must keep its slot, the node comes
// back, when pace lets it, with a new boot id and the update applied, and
// the daemon starts again. A second reboot of the node is an error.
func serveReboots(ctx context.Context, obs *observer, pace *pacer, n *node) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.rebootCalled:
		}
		if n.boots() > 1 {
			return errors.New("logind Reboot called again after the node had rebooted")
		}
		if n.beforeStop != nil {
			if err := n.beforeStop(ctx); err != nil {
				return err
			}
		}
		if err := n.terminate(ctx); err != nil {
			return err
		}
		if err := obs.stillHolds(ctx, n.machineID, "when its daemon was stopped for the reboot it requested"); err != nil {
			return err
		}
		if err := pace.wait(ctx); err != nil {
			return nil // the test is over
		}
		if err := n.comeBack(); err != nil {
			return err
		}
		if _, err := n.start(); err != nil {
			return err
		}
	}
}

// crashHolder waits until n holds a slot (held by the gate before its
// reboot), kills its daemon with SIGKILL, checks that the slot stays held
// and starts the daemon again, without the gate, with a new boot id (and
// the update applied) if newBootID is set, else with the same one.
func crashHolder(ctx context.Context, obs *observer, n *node, newBootID bool, logf func(string, ...any)) error {
	if err := obs.holds(ctx, n.machineID); err != nil {
		return err
	}
	n.kill()
	if err := obs.stillHolds(ctx, n.machineID, "after its daemon was killed"); err != nil {
		return err
	}
	how := "the same boot id"
	if newBootID {
		how = "a new boot id"
		if err := n.comeBack(); err != nil {
			return err
		}
	}
	logf("killed the daemon of %s while it held a slot; restarting it with %s", n.name, how)
	_, err := n.start()
	return err
}

// etcdFaults kills the etcd leader as soon as the rollout has begun and
// restarts it once the monitor has seen the rollout progress without it;
// then it freezes (SIGSTOP) a member until the rollout has progressed
// again. Nodes come back from their reboots only as pace lets them, a few
// during each fault, so that the faults fall in the middle of the rollout
// however fast it would go; once the faults are over, pace lets every node
// come back.
func etcdFaults(ctx context.Context, cluster *etcdproc.Cluster, obs *observer, pace *pacer, logf func(string, ...any)) error {
	defer pace.openAll()
	if _, err := obs.until(ctx, "the first slot is taken", func(r monitor.GroupResult) bool { return r.Acquires > 0 }); err != nil {
		return err
	}
	leader, err := cluster.Leader(ctx)
	if err != nil {
		return err
	}
	cluster.Kill(leader)
	r := obs.result()
	logf("killed (-9) the etcd leader, member %d; monitor saw %s", leader, summary(r))
	pace.allow(progress)
	if r, err = progressed(ctx, obs, r); err != nil {
		return fmt.Errorf("without etcd member %d (the other two have a quorum): %w", leader, err)
	}
	cluster.Restart(leader)
	logf("restarted etcd member %d; monitor saw %s", leader, summary(r))

	// Freeze a follower that served clients all along, not the member
	// just restarted, to which few connections have come back.
	restarted := leader
	if leader, err = cluster.Leader(ctx); err != nil {
		return err
	}
	frozen := 0
	for frozen == leader || frozen == restarted {
		frozen++
	}
	cluster.Stop(frozen)
	r = obs.result()
	logf("froze (SIGSTOP) etcd member %d, a follower (leader: %d); monitor saw %s", frozen, leader, summary(r))
	pace.allow(progress)
	r, err = progressed(ctx, obs, r)
	cluster.Cont(frozen)
	if err != nil {
		return fmt.Errorf("with etcd member %d frozen (the other two have a quorum): %w", frozen, err)
	}
	logf("resumed (SIGCONT) etcd member %d; monitor saw %s", frozen, summary(r))
	return nil
}

// progressed waits, at most faultPatience, until the monitor has seen
// progress releases more than in r.
func progressed(ctx context.Context, obs *observer, r monitor.GroupResult) (monitor.GroupResult, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, faultPatience, fmt.Errorf("no progress for %s", faultPatience))
	defer cancel()
	return obs.releases(ctx, r.Releases+progress)
}

// checkFleet checks that every node rebooted exactly once, through logind
// except node crashed (-1: none), whose crash rebooted it, and ran its
// post-reboot check once.
func checkFleet(t *testing.T, nodes []*node, crashed int) {
	t.Helper()
	for i, n := range nodes {
		want := 1
		if i == crashed {
			want = 0 // the crash was its reboot
		}
		if got := n.logind.RebootCalls(); got != want {
			t.Errorf("%s: %d logind Reboot calls, want %d", n.name, got, want)
		}
		if got := n.boots(); got != 2 {
			t.Errorf("%s: %d boots, want 2", n.name, got)
		}
		checks, err := n.checks()
		if err != nil {
			t.Error(err)
		} else if checks != 1 {
			t.Errorf("%s: the post-reboot check ran %d times, want once", n.name, checks)
		}
	}
}

// checkSemaphore checks that no slot is leaked.
func checkSemaphore(ctx context.Context, t *testing.T, sem *semaphore.Semaphore) {
	t.Helper()
	st, err := sem.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Holders) != 0 || st.Max != slots || st.Free() != slots {
		t.Errorf("semaphore after the rollout: max %d, free %d, holders %+v; want max %d, all free", st.Max, st.Free(), st.Holders, slots)
	}
}

// checkObserved checks what the monitor saw: never more than the max of
// holders, slots taken in the order of the queue, every node acquired and
// released, nothing it could not read or missed.
func checkObserved(t *testing.T, obs *observer, nodes []*node) {
	t.Helper()
	res := obs.mon.Result()
	r := res.Groups[0]
	t.Logf("monitor: %s", summary(r))
	if r.MaxConcurrent > slots || len(res.Exceeded) > 0 {
		t.Errorf("monitor saw %d holders at once (max %d); revisions over max: %+v", r.MaxConcurrent, slots, res.Exceeded)
	}
	if len(res.FIFO) > 0 {
		t.Errorf("monitor saw %d FIFO violations: %+v", len(res.FIFO), res.FIFO)
	}
	if len(res.Problems) > 0 || len(res.Gaps) > 0 {
		t.Errorf("monitor could not read values %+v or missed revisions %+v", res.Problems, res.Gaps)
	}
	last := map[string]monitor.Kind{}
	for _, e := range res.Events {
		if e.Kind == monitor.Acquire || e.Kind == monitor.Release {
			last[e.ID] = e.Kind
		}
	}
	for _, n := range nodes {
		if k, ok := last[n.machineID]; !ok || k != monitor.Release {
			t.Errorf("%s: last slot event seen %v (seen: %t), want a release", n.name, k, ok)
		}
	}
	if ids := slices.Sorted(maps.Keys(last)); len(ids) != len(nodes) {
		t.Errorf("slot events of %q, want those of the %d nodes only", ids, len(nodes))
	}
}
