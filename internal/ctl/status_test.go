package ctl_test

import (
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/semaphore"
)

// status says what matters in words: a group that does not exist yet, a paused one, one over
// max, and the last stale removal.
func TestStatusSaysWhatMatters(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	r := h.run("--group", "canary", "status")
	expectOutput(t, "status of a group without a key", r.ok(t), "Available: 1\nMax: 1\n")
	if !strings.Contains(r.stderr, `group "canary" has no semaphore in etcd yet`) || !strings.Contains(r.stderr, "check --group") {
		t.Errorf("stderr %q does not say that the group does not exist yet", r.stderr)
	}

	now := t0
	sem := semaphore.New(srv.ClientT(t), semaphore.DefaultGroup, semaphore.WithClock(func() time.Time { return now }))
	defer sem.Close()
	for _, id := range []string{"a", "b"} {
		if _, err := sem.SetMax(t.Context(), 2); err != nil {
			t.Fatal(err)
		}
		if err := sem.TryAcquire(t.Context(), semaphore.Holder{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sem.SetMax(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	out := h.run("status").ok(t)
	for _, want := range []string{"Available: 0\nMax: 0\n", "Paused: max is 0", "Over max by 2: 2 holders for 0 slots"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	now = t0.Add(time.Hour)
	if _, err := sem.RemoveStale(t.Context(), 30*time.Minute, "ops@host", "never came back"); err != nil {
		t.Fatal(err)
	}
	h.advance(90 * time.Minute)
	out = h.run("status").ok(t)
	want := "\nLAST STALE REMOVAL\na (-) removed by ops@host at " + now.UTC().Format(time.RFC3339) + " (30m0s ago): never came back\n"
	if !strings.HasSuffix(out, want) {
		t.Errorf("status does not end with the last stale removal %q:\n%s", want, out)
	}
}

// groups lists the groups that exist, the default one first, with max and holders.
func TestGroups(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	expectOutput(t, "groups of an empty etcd", h.run("groups").ok(t), "no group has a semaphore in etcd yet\n")
	h.run("--group", "workers", "set-max", "2").ok(t)
	h.run("lock", "a").ok(t)
	expectOutput(t, "groups", h.run("groups").ok(t), ""+
		"GROUP      MAX  AVAILABLE  HOLDERS\n"+
		"(default)  1    0          a\n"+
		"workers    2    2          -\n")
	out := h.run("groups", "--json").ok(t)
	if !strings.Contains(out, `"group": "workers"`) || !strings.Contains(out, `"holders": [`+"\n"+`      "a"`) {
		t.Errorf("groups --json:\n%s", out)
	}
}
