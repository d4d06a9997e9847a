package ctl_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/history/etcdlog"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/nodestate"
	"locksmith.dev/locksmith/semaphore"
)

// A group frozen by its failure budget shows so in status and why, and resume restores its max.
func TestResumeEndsAFreeze(t *testing.T) {
	srv := embedetcd.StartT(t)
	client := srv.ClientT(t)
	h := newHarness(t, srv)
	h.env["USER"] = "root"
	h.run("resume").fails(t, 1, "resume: the default group is not frozen; nothing to do")
	h.run("set-max", "2").ok(t)
	sem := semaphore.New(client, "", semaphore.WithClock(h.clock))
	defer sem.Close()
	if _, err := sem.Fail(t.Context(), semaphore.Failure{ID: otherID, Reason: "post-reboot checks failed"}, 1, 0); err != nil {
		t.Fatal(err)
	}
	h.advance(5 * time.Minute)
	status := h.run("status").ok(t)
	wantFrozen := "FROZEN since " + h.clock().Add(-5*time.Minute).UTC().Format(time.RFC3339) + " (5m0s ago): 1 failed reboots reached " +
		"--max-failures 1 (" + otherID + ": post-reboot checks failed); no machine gets a slot until locksmithctl resume restores max 2\n"
	if !strings.Contains(status, "Max: 0\n"+wantFrozen) {
		t.Errorf("status:\n%s\nwant the freeze:\n%s", status, wantFrozen)
	}
	var js struct {
		Frozen *struct {
			PreviousMax int `json:"previous_max"`
		} `json:"frozen"`
		Failures []struct {
			ID string `json:"id"`
		} `json:"failures"`
	}
	if out := h.run("status", "--json").ok(t); json.Unmarshal([]byte(out), &js) != nil || js.Frozen == nil || js.Frozen.PreviousMax != 2 ||
		len(js.Failures) != 1 || js.Failures[0].ID != otherID {
		t.Errorf("status --json: %s", out)
	}
	publish(t, client, nodestate.State{State: "waiting-for-slot", Since: t0, RebootNeeded: true})
	expectOutput(t, "why", h.run("why").ok(t), thisID+": frozen 5m0s ago: 1 failed reboots reached --max-failures 1 ("+otherID+
		": post-reboot checks failed); nobody gets a slot until locksmithctl resume restores max 2\n")
	h.run("lock").fails(t, 1, "no free reboot slot")

	expectOutput(t, "resume", h.run("resume").ok(t), "Resumed: max 2\n")
	if st, err := sem.Get(t.Context()); err != nil || st.Max != 2 || st.Freeze != nil || len(st.Failures) != 0 {
		t.Fatalf("after resume: %+v, %v", st, err)
	}
	h.run("lock").ok(t)
	listing, err := etcdlog.New(client, "", 0).List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range listing.Events {
		found = found || e.Kind == "resumed" && e.By == "root@node-1" && e.Max != nil && *e.Max == 2
	}
	if !found {
		t.Errorf("no resume by root@node-1 in the history: %+v", listing.Events)
	}
}
