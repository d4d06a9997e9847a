package ctl_test

import (
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/semaphore"
)

func TestCorruptValue(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	key := semaphore.Key(semaphore.DefaultGroup)
	raw := `{"semaphore":0,"max":2,"holders":["` + otherID + `","` + otherID + `"]}`
	if _, err := srv.ClientT(t).Put(t.Context(), key, raw); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"status"}, {"status", "--json"}, {"lock"}, {"unlock", otherID}, {"set-max", "3"},
		{"remove-stale", "--older-than", "1h"},
	} {
		r := h.run(args...)
		r.fails(t, 1, key, "appears twice", "'locksmithctl repair --force' overwrites it")
		if r.stdout != "" {
			t.Errorf("locksmithctl %q printed %q from a corrupt value", args, r.stdout)
		}
	}

	// Without --force, a preview of what would be written; the value stays as it was.
	expectOutput(t, "repair preview", h.run("repair", "--max", "2").ok(t), ""+
		"repair would write this to "+key+" (run again with --force to write it):\n\n"+
		"Available: 1\nMax: 2\n\n"+
		"MACHINE ID                        HOSTNAME  HELD FOR  REASON\n"+
		"fedcba9876543210fedcba9876543210  -         -         -\n")
	if got, err := srv.ClientT(t).Get(t.Context(), key); err != nil || string(got.Kvs[0].Value) != raw {
		t.Fatalf("the preview wrote: %v %v", got, err)
	}
	h.run("repair", "--force", "--max", "-2").fails(t, 2, "invalid maximum -2")
	expectOutput(t, "repair", h.run("repair", "--force", "--max", "2").ok(t), ""+
		"Available: 1\nMax: 2\n\n"+
		"MACHINE ID                        HOSTNAME  HELD FOR  REASON\n"+
		"fedcba9876543210fedcba9876543210  -         -         -\n")
	for _, args := range [][]string{{"repair", "--force"}, {"repair"}} {
		expectOutput(t, "repair of a valid value", h.run(args...).ok(t), "nothing to repair: the value of "+key+" is valid (or absent); nothing was written\n")
	}
	h.run("unlock", otherID).ok(t)
	expectOutput(t, "status after repair", h.run("status").ok(t), "Available: 2\nMax: 2\n")
}

func TestNotJSONValue(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	key := semaphore.Key("db")
	if _, err := srv.ClientT(t).Put(t.Context(), key, "not json"); err != nil {
		t.Fatal(err)
	}
	h.run("status", "--group", "db").fails(t, 1, `status of group "db"`, key)
	h.run("status").ok(t) // other groups are not affected
}

func TestRemoveStale(t *testing.T) {
	h := newHarness(t, embedetcd.StartT(t))
	h.run("set-max", "2").ok(t)
	h.run("lock").ok(t)
	h.advance(time.Hour)
	h.run("lock", otherID).ok(t)
	h.advance(2 * time.Hour)

	h.run("remove-stale").fails(t, 2, "remove-stale: --older-than must be a positive duration")
	h.run("remove-stale", "--older-than", "soon").fails(t, 2, "remove-stale:", `"soon"`)
	h.run("remove-stale", "--older-than", "4h").fails(t, 1, "remove-stale: no holder in the default group is known to have held its slot for more than 4h0m0s")
	expectOutput(t, "remove-stale", h.run("remove-stale", "--older-than", "2h30m").ok(t),
		"Removed: "+thisID+" (node-1, held for 3h0m0s)\n")
	out := h.run("status", "--json").ok(t)
	for _, want := range []string{`"last_removal"`, `"by": "locksmithctl on node-1"`, `"reason": "stale slot removed by locksmithctl"`} {
		if !strings.Contains(out, want) {
			t.Errorf("status --json after remove-stale lacks %s:\n%s", want, out)
		}
	}
	h.run("remove-stale", "--older-than", "2h30m").fails(t, 1, "no holder")
}
