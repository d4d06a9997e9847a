package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"locksmith.dev/locksmith/history/etcdlog"
	"locksmith.dev/locksmith/internal/sim/monitor"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/promtest"
	"locksmith.dev/locksmith/internal/testkit/testbin"
	"locksmith.dev/locksmith/nodestate"
	"locksmith.dev/locksmith/semaphore"
)

// TestVisibilityOfARollout rolls a reboot out to real locksmithd processes that serve metrics
// and keep a history bounded to a few events, while Debian's prometheus scrapes them. Before
// each node goes down, Prometheus has scraped its reboot; once the rollout is done it holds each
// node's wait, hold, state and group, the history in etcd holds exactly its bound of the last
// events, locksmithctl history shows them, and every node published that it is idle.
func TestVisibilityOfARollout(t *testing.T) {
	const nodes, max, bound = 3, 1, 12
	bin := testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmithd")
	ctlBin := testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmithctl")
	srv := embedetcd.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), rolloutPatience)
	defer cancel()
	admin := srv.ClientT(t)
	sem := semaphore.New(admin, group)
	t.Cleanup(func() { _ = sem.Close() })
	if _, err := sem.SetMax(ctx, max); err != nil {
		t.Fatal(err)
	}
	obs := startObserver(ctx, t, admin, group)
	addrs := make([]string, nodes)
	for i := range addrs {
		addrs[i] = promtest.FreeAddr(t)
	}
	prom := promtest.StartT(t, addrs)

	fleetNodes := make([]*node, nodes)
	pace := newPacer()
	pace.openAll()
	ts := newTasks(ctx, t)
	for i := range fleetNodes {
		n := newNode(t, i, bin, srv.Endpoints(), group)
		n.args = append(n.args, "--metrics-address="+addrs[i], fmt.Sprintf("--history-size=%d", bound))
		n.beforeStop = func(ctx context.Context) error {
			_, err := prom.WaitFor(ctx, fmt.Sprintf("locksmith_reboots_total{instance=%q} == 1", addrs[i]), one)
			return err
		}
		fleetNodes[i] = n
		if err := n.startIdle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	serveAll(ts, obs, pace, fleetNodes)
	announce(t, fleetNodes)
	for _, n := range fleetNodes {
		select {
		case <-n.booted:
		case <-ts.ctx.Done():
			t.Fatalf("%s never rebooted: %v", n.name, context.Cause(ts.ctx))
		}
	}
	if _, err := obs.until(ts.ctx, "every slot is released", func(r monitor.GroupResult) bool {
		return len(r.Holders) == 0 && len(r.Waiting) == 0
	}); err != nil {
		t.Fatal(err)
	}

	// What Prometheus holds of the rollout, while the daemons still run.
	for _, q := range []string{
		`locksmith_state{state="idle"} == 1`,
		"locksmith_reboot_needed == 0",
		"locksmith_slot_held == 0",
		"locksmith_slot_held_seconds_count == 1",
		"max_over_time(locksmith_slot_wait_seconds_count[10m]) == 1",
		"max_over_time(locksmith_reboots_total[10m]) == 1",
		"locksmith_group_max == 1",
		"locksmith_group_holders == 0",
	} {
		if _, err := prom.WaitFor(ts.ctx, q, func(s []promtest.Sample) bool { return len(s) == nodes }); err != nil {
			t.Errorf("%v", err)
		}
	}
	if got, err := prom.Query(ts.ctx, "sum(max_over_time(locksmith_slot_held[10m]))"); err != nil || len(got) != 1 || got[0].Value != nodes {
		t.Errorf("nodes that held a slot: %v, %v; want %d", got, err, nodes)
	}

	// The history keeps exactly its bound, the last events, in order.
	listing, err := etcdlog.New(admin, group, bound).List(ts.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(listing.Events) != bound || len(listing.Corrupt) != 0 {
		t.Fatalf("history holds %d events and %d corrupt, want %d and none", len(listing.Events), len(listing.Corrupt), bound)
	}
	last := listing.Events[bound-1].Seq
	if last < 7*nodes {
		t.Errorf("the last event is number %d; a rollout of %d nodes records at least %d", last, nodes, 7*nodes)
	}
	for i, e := range listing.Events {
		if e.Seq != last-int64(bound-1-i) {
			t.Errorf("event %d is number %d, want %d: the history is not the last %d in order", i, e.Seq, last-int64(bound-1-i), bound)
		}
	}
	out, err := exec.CommandContext(ts.ctx, ctlBin, "--endpoint="+strings.Join(srv.Endpoints(), ","), "--group="+group, "history", "--json").Output()
	if err != nil {
		t.Fatalf("locksmithctl history: %v", err)
	}
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != bound || !strings.Contains(lines[bound-1], `"kind":"released"`) {
		t.Errorf("locksmithctl history printed %d events, the last %q; want %d ending with a release", len(lines), lines[len(lines)-1], bound)
	}
	svg := filepath.Join(t.TempDir(), "rollout.svg")
	// The node that released last rebooted within the bound.
	if out, err := exec.CommandContext(ts.ctx, ctlBin, "--endpoint="+strings.Join(srv.Endpoints(), ","), "--group="+group, "history",
		"--node", listing.Events[bound-1].Node, "--timeline", svg).CombinedOutput(); err != nil {
		t.Errorf("locksmithctl history --timeline: %v: %s", err, out)
	} else if data, err := os.ReadFile(svg); err != nil || !strings.Contains(string(data), `class="down"`) {
		t.Errorf("the timeline of the last node shows no reboot (%v)", err)
	}

	states, bad, err := nodestate.List(ts.ctx, admin, group)
	if err != nil || len(bad) != 0 || len(states) != nodes {
		t.Fatalf("published states %+v, %v, %v; want %d", states, bad, err, nodes)
	}
	for _, st := range states {
		if st.State != "idle" || st.RebootNeeded {
			t.Errorf("%s published %s (reboot needed %v), want idle", st.Node, st.State, st.RebootNeeded)
		}
	}
	// What visibility costs etcd: a key's version counts its writes.
	publishes := int64(0)
	for _, n := range fleetNodes {
		resp, err := admin.Get(ts.ctx, nodestate.Key(group, n.machineID))
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatalf("published state of %s: %v", n.name, err)
		}
		publishes += resp.Kvs[0].Version
	}
	t.Logf("visibility cost per reboot: %.1f history events, %.1f published states (writes; an append that raced costs one more)",
		float64(last)/nodes, float64(publishes)/nodes)
	finishRollout(t, ts, obs, fleetNodes)
}

// one accepts a result of one series.
func one(s []promtest.Sample) bool { return len(s) == 1 }
