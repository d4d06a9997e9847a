package ctl_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/nodestate"
	"locksmith.dev/locksmith/semaphore"
)

// publish publishes st as thisID's state, as its locksmithd would.
func publish(t *testing.T, client *clientv3.Client, st nodestate.State) {
	t.Helper()
	st.Node = thisID
	if err := nodestate.Publish(t.Context(), client, st); err != nil {
		t.Fatal(err)
	}
}

func TestWhyNamesTheGateInForce(t *testing.T) {
	srv := embedetcd.StartT(t)
	client := srv.ClientT(t)
	h := newHarness(t, srv)
	h.env["USER"] = "root"
	why := func() string { return h.run("why").ok(t) }

	expectOutput(t, "nothing published", why(), thisID+": no state published in etcd: locksmithd does not run there, "+
		"runs an older version, or takes its slot without etcd (FleetLock, or strategy reboot without an endpoint)\n")

	publish(t, client, nodestate.State{State: "idle", Since: t0})
	expectOutput(t, "idle", why(), thisID+": no reboot needed\n")

	publish(t, client, nodestate.State{State: "waiting-for-window", Since: t0, RebootNeeded: true,
		WindowOpens: time.Date(2026, 3, 7, 1, 0, 0, 0, time.UTC), TimeZone: "Europe/Berlin"})
	expectOutput(t, "window", why(), thisID+": window closed: opens Sat 02:00 Europe/Berlin (in 67h54m0s)\n")

	publish(t, client, nodestate.State{State: "blocked", Since: h.clock().Add(-5 * time.Minute), RebootNeeded: true,
		BlockedBy: "Prometheus alerts active: NodeDiskFull"})
	expectOutput(t, "blocked", why(), thisID+": blocked for 5m0s: Prometheus alerts active: NodeDiskFull\n")

	// A real waiter in the queue, behind two holders.
	h.run("set-max", "2").ok(t)
	h.run("lock", otherID).ok(t)
	h.advance(10 * time.Minute)
	h.run("lock", "b").ok(t)
	h.advance(2 * time.Minute)
	publish(t, client, nodestate.State{State: "waiting-for-slot", Since: t0, RebootNeeded: true})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	waited := make(chan error, 1)
	sem := semaphore.New(client, "")
	defer sem.Close()
	queued := client.Watch(ctx, semaphore.Key("")+"/waiters/", clientv3.WithPrefix())
	go func() { waited <- sem.Acquire(ctx, semaphore.Holder{ID: thisID}) }()
	select {
	case <-queued:
	case err := <-waited:
		t.Fatalf("Acquire returned %v without queueing", err)
	}
	expectOutput(t, "waiting", why(), thisID+": waiting: position 1 of 1; slots held by "+otherID+" (for 12m0s) and b (for 2m0s); max 2\n")

	h.run("set-max", "0").ok(t)
	h.advance(time.Hour)
	expectOutput(t, "paused", why(), thisID+": paused: max is 0 (set by root@node-1 1h0m0s ago); nobody gets a slot until locksmithctl set-max raises it\n")
	cancel()
	<-waited

	h.run("set-max", "3").ok(t)
	h.run("lock").ok(t)
	failing := h.clock().Add(-10 * time.Minute)
	publish(t, client, nodestate.State{State: "checking-health", Since: t0,
		Check: &nodestate.Check{Command: "curl -f localhost:8080/health", Error: "exit status 22", FailingSince: failing, Tries: 4}})
	expectOutput(t, "checks", why(), thisID+": holding its slot: post-reboot check `curl -f localhost:8080/health` failing since "+failing.Local().Format("15:04")+" (4 tries)\n")

	publish(t, client, nodestate.State{State: "rebooting", Since: h.clock().Add(-2 * time.Minute), RebootNeeded: true})
	expectOutput(t, "rebooting", why(), thisID+": rebooting: the reboot was requested 2m0s ago; the slot is given back once the node is up and its checks pass\n")
	publish(t, client, nodestate.State{State: "retrying", Since: h.clock().Add(-time.Minute), Status: "retrying in 20s: pre-reboot command failed"})
	h.run("unlock").ok(t)
	expectOutput(t, "retrying", why(), thisID+": retrying (for 1m0s): retrying in 20s: pre-reboot command failed\n")

	var got struct{ Node, Gate, Reason string }
	if err := json.Unmarshal([]byte(h.run("why", "--json").ok(t)), &got); err != nil || got.Node != thisID || got.Gate != "state" {
		t.Errorf("why --json: %+v, %v", got, err)
	}
	h.run("why", "a", "b").fails(t, 2, `why: unexpected argument "b"`)
}

func TestWhyNamesACorruptPublishedState(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	if _, err := srv.ClientT(t).Put(t.Context(), nodestate.Key("", thisID), "{"); err != nil {
		t.Fatal(err)
	}
	h.run("why").fails(t, 1, nodestate.Key("", thisID))
}
