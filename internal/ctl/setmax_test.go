package ctl_test

import (
	"encoding/json"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/semaphore"
)

func TestSetMax(t *testing.T) {
	h := newHarness(t, embedetcd.StartT(t))
	expectOutput(t, "set-max 3", h.run("set-max", "3").ok(t), "Old-Max: 1\nMax: 3\n")
	h.run("lock").ok(t)
	expectOutput(t, "status", h.run("status").ok(t)[:len("Available: 2\nMax: 3\n")], "Available: 2\nMax: 3\n")

	r := h.run("set-max", "0")
	expectOutput(t, "set-max 0", r.ok(t), "Old-Max: 3\nMax: 0\n")
	expectOutput(t, "set-max 0 note", r.stderr, "locksmithctl: note: reboots in the default group are paused until set-max raises the maximum above 0\n")
	h.run("lock", otherID).fails(t, 1, "no free reboot slot")

	var got struct {
		OldMax *int `json:"old_max"`
		Max    *int `json:"max"`
	}
	out := h.run("set-max", "--json", "2").ok(t)
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.OldMax == nil || *got.OldMax != 0 || got.Max == nil || *got.Max != 2 {
		t.Fatalf("set-max --json 2 printed %q (%v)", out, err)
	}
	if r := h.run("set-max", "1"); r.stderr != "" {
		t.Errorf("set-max 1 wrote to stderr: %q", r.stderr)
	}
}

func TestSetMaxRejectsBadValues(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"set-max", "-1"}, "set-max: invalid maximum -1: it must be 0 or more"},
		{[]string{"set-max", "-12"}, "set-max: invalid maximum -12: it must be 0 or more"},
		{[]string{"set-max", "--", "-3"}, "set-max: invalid maximum -3: it must be 0 or more"},
		{[]string{"set-max", "two"}, `set-max: "two" is not a whole number`},
		{[]string{"set-max", "1.5"}, `set-max: "1.5" is not a whole number`},
		{[]string{"set-max", ""}, `set-max: "" is not a whole number`},
		{[]string{"set-max", "99999999999999999999"}, `is not a whole number`},
		{[]string{"set-max"}, "set-max: missing argument (usage: locksmithctl set-max N)"},
		{[]string{"set-max", "1", "2"}, `set-max: unexpected argument "2"`},
	} {
		r := h.run(tt.args...)
		r.fails(t, 2, tt.want)
		if r.stdout != "" {
			t.Errorf("locksmithctl %q printed %q; it must print only what was saved", tt.args, r.stdout)
		}
	}
	// Nothing was written: the key still does not exist.
	resp, err := srv.ClientT(t).Get(t.Context(), semaphore.Key(semaphore.DefaultGroup))
	if err != nil || resp.Count != 0 {
		t.Fatalf("key after rejected set-max: %v, %v", resp, err)
	}
}
