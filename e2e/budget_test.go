package e2e_test

import (
	"context"
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/sim/monitor"
)

// TestAFailedRebootFreezesTheGroup rolls a reboot out to three real locksmithd processes with
// max 2 and --max-failures 1. The first node's post-reboot check fails: the group freezes while
// the second is still rebooting, the third does not get a slot, and locksmithctl resume lets it
// go on.
func TestAFailedRebootFreezesTheGroup(t *testing.T) {
	const max = 2
	r0 := newRig(t, max)
	ctx := r0.ctx
	obs := startObserver(ctx, t, r0.admin, group)
	frozen := func(r monitor.GroupResult) bool { return r.Max == 0 }
	nodes := make([]*node, 3)
	for i := range nodes {
		nodes[i] = newNode(t, i, r0.bin, r0.srv.Endpoints(), group)
		nodes[i].args = append(nodes[i].args, "--max-failures=1")
	}
	failing, second, third := nodes[0], nodes[1], nodes[2]
	failing.args = append(failing.args, "--post-reboot-check=exit 3", "--post-reboot-timeout=2s")
	// The second node goes down only once the group is frozen, so that its release comes after.
	second.beforeStop = func(ctx context.Context) error {
		_, err := obs.until(ctx, "the group is frozen", frozen)
		return err
	}
	pace := newPacer()
	pace.openAll()
	ts := newTasks(ctx, t)
	for _, n := range nodes {
		if err := n.startIdle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	serveAll(ts, obs, pace, nodes)
	announce(t, nodes[:2])
	r, err := obs.until(ts.ctx, "the group is frozen", frozen)
	if err != nil {
		t.Fatal(err)
	}
	if _, line, err := failing.out.Wait(ts.ctx, 0, "the group is FROZEN"); err != nil || !strings.Contains(line, "exit status 3") {
		t.Errorf("the failing node did not log the freeze with its check's failure: %q, %v", line, err)
	}
	select {
	case <-second.booted:
	case <-ts.ctx.Done():
		t.Fatalf("the second node never came back: %s", summary(obs.result()))
	}
	if _, err := obs.until(ts.ctx, "the second node released", func(r monitor.GroupResult) bool { return r.Releases == 1 }); err != nil {
		t.Fatal(err)
	}
	announce(t, nodes[2:])
	if _, _, err := third.out.Wait(ts.ctx, 0, "state=waiting-for-slot"); err != nil {
		t.Fatal(err)
	}
	ctl := func(args ...string) string { return r0.ctl(ts.ctx, t, args...) }
	if out := ctl("why", third.machineID); !strings.Contains(out, ": frozen ") || !strings.Contains(out, failing.machineID+": post-reboot checks failed") {
		t.Errorf("why of the third node: %s", out)
	}
	if r = obs.result(); r.Acquires != 2 || r.Max != 0 {
		t.Fatalf("while frozen: %s", summary(r))
	}

	if out := ctl("resume"); out != "Resumed: max 2\n" {
		t.Errorf("resume printed %q", out)
	}
	select {
	case <-third.booted:
	case <-ts.ctx.Done():
		t.Fatalf("the third node never rebooted after resume: %s", summary(obs.result()))
	}
	r, err = obs.until(ts.ctx, "the third node released", func(r monitor.GroupResult) bool { return r.Releases == 2 })
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxConcurrent > max || len(r.Holders) != 1 || r.Holders[0] != failing.machineID {
		t.Errorf("at the end: %s; want only the failing node holding its slot", summary(r))
	}
	if failing.boots() != 2 {
		t.Errorf("the failing node booted %d times, want 2", failing.boots())
	}
	for _, n := range nodes {
		if err := n.terminate(ts.ctx); err != nil {
			t.Error(err)
		}
	}
	ts.stop()
}
