package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/amtest"
	"locksmith.dev/locksmith/internal/testkit/promtest"
	"locksmith.dev/locksmith/silence"
)

// TestAFiringAlertHoldsTheRolloutBack rolls a reboot out to real locksmithd processes that block
// on the alerts of Debian's prometheus and silence their alerts in Debian's alertmanager. While
// an alerting rule fires, no node takes a slot, and locksmithctl why says what blocks; once it
// clears, every node reboots, with its silence active while it is down and expired after its
// release.
func TestAFiringAlertHoldsTheRolloutBack(t *testing.T) {
	const nodes, max = 2, 2
	r0 := newRig(t, max)
	ctx := r0.ctx
	tg := promtest.NewTargetT(t)
	tg.Set("test_trouble", 1)
	prom := promtest.StartT(t, []string{tg.Addr},
		promtest.Alert{Name: "NodeTrouble", Expr: "test_trouble > 0", Labels: map[string]string{"severity": "critical"}},
		promtest.Alert{Name: "Ignored", Expr: "vector(1)", Labels: map[string]string{"severity": "info"}})
	if _, err := prom.WaitFor(ctx, `ALERTS{alertstate="firing"}`, func(s []promtest.Sample) bool { return len(s) == 2 }); err != nil {
		t.Fatal(err)
	}
	am := amtest.StartT(t)
	obs := startObserver(ctx, t, r0.admin, group)
	fleetNodes := make([]*node, nodes)
	pace := newPacer()
	pace.openAll()
	ts := newTasks(ctx, t)
	for i := range fleetNodes {
		n := newNode(t, i, r0.bin, r0.srv.Endpoints(), group)
		n.args = append(n.args, "--block-on-alerts="+prom.URL, "--alert-labels=severity=critical", "--blocker-interval=1s",
			"--alertmanager-url="+am)
		mine := silence.Client{URL: am, CreatedBy: "locksmithd " + n.machineID}
		n.beforeStop = func(ctx context.Context) error {
			if active := silences(ctx, mine, "active"); active != 1 {
				return fmt.Errorf("%s goes down with %d active silences of its own, want 1", n.name, active)
			}
			return nil
		}
		fleetNodes[i] = n
		if err := n.startIdle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	serveAll(ts, obs, pace, fleetNodes)
	announce(t, fleetNodes)
	for _, n := range fleetNodes {
		if _, line, err := n.out.Wait(ts.ctx, 0, "state=blocked"); err != nil {
			t.Fatalf("%s was never blocked: %v", n.name, err)
		} else if !strings.Contains(line, "Prometheus alerts active: NodeTrouble;") {
			t.Errorf("%s was blocked by something else than NodeTrouble alone: %s", n.name, line)
		}
	}
	if out := r0.ctl(ts.ctx, t, "why", fleetNodes[0].machineID); !strings.Contains(out, ": blocked for ") ||
		!strings.Contains(out, "Prometheus alerts active: NodeTrouble") {
		t.Errorf("locksmithctl why: %s", out)
	}
	if r := obs.result(); r.Acquires != 0 {
		t.Fatalf("%d slots were taken while the alert fired: %s", r.Acquires, summary(r))
	}

	tg.Set("test_trouble", 0)
	finishRollout(t, ts, obs, fleetNodes)
	for _, n := range fleetNodes {
		mine := silence.Client{URL: am, CreatedBy: "locksmithd " + n.machineID}
		if active, expired := silences(ctx, mine, "active"), silences(ctx, mine, "expired"); active != 0 || expired != 1 {
			t.Errorf("%s left %d active and %d expired silences after its release, want 0 and 1", n.name, active, expired)
		}
	}
	if r := obs.result(); r.Acquires != nodes || r.MaxConcurrent > max {
		t.Errorf("after the alert cleared: %s", summary(r))
	}
}

// silences counts c's own silences in state, or -1 if they cannot be listed.
func silences(ctx context.Context, c silence.Client, state string) int {
	all, err := c.List(ctx)
	if err != nil {
		return -1
	}
	n := 0
	for _, s := range all {
		if s.CreatedBy == c.CreatedBy && s.Status.State == state {
			n++
		}
	}
	return n
}
