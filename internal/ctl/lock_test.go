package ctl_test

import (
	"encoding/json"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

func TestStatusOfNewGroup(t *testing.T) {
	h := newHarness(t, embedetcd.StartT(t))
	expectOutput(t, "status", h.run("status").ok(t), "Available: 1\nMax: 1\n")
}

func TestLockStatusUnlock(t *testing.T) {
	h := newHarness(t, embedetcd.StartT(t))
	if out := h.run("set-max", "2").ok(t); out != "Old-Max: 1\nMax: 2\n" {
		t.Fatalf("set-max 2 printed %q", out)
	}
	h.run("lock").ok(t)
	h.advance(90 * time.Second)
	h.run("lock", otherID, "--reason", "kernel test").ok(t)
	h.advance(time.Hour)
	expectOutput(t, "status with two holders", h.run("status").ok(t), ""+
		"Available: 0\n"+
		"Max: 2\n"+
		"\n"+
		"MACHINE ID                        HOSTNAME  HELD FOR  REASON\n"+
		"0123456789abcdef0123456789abcdef  node-1    1h1m30s   locksmithctl lock\n"+
		"fedcba9876543210fedcba9876543210  -         1h0m0s    kernel test\n")

	h.run("unlock").ok(t)
	h.run("unlock", otherID).ok(t)
	expectOutput(t, "status after unlock", h.run("status").ok(t), "Available: 2\nMax: 2\n")
}

func TestLockIsIdempotentAndFailsWhenFull(t *testing.T) {
	h := newHarness(t, embedetcd.StartT(t))
	h.run("lock").ok(t)
	h.advance(time.Minute)
	h.run("lock").ok(t) // held already: succeeds, changes nothing
	h.run("lock", otherID).fails(t, 1, "lock "+otherID+": no free reboot slot in the default group")
	expectOutput(t, "status", h.run("status").ok(t), ""+
		"Available: 0\nMax: 1\n\n"+
		"MACHINE ID                        HOSTNAME  HELD FOR  REASON\n"+
		"0123456789abcdef0123456789abcdef  node-1    1m0s      locksmithctl lock\n")
}

func TestUnlockOfNonHolder(t *testing.T) {
	h := newHarness(t, embedetcd.StartT(t))
	h.run("unlock").fails(t, 1, "unlock "+thisID+": this machine holds no reboot slot in the default group")
	h.run("lock", otherID).ok(t)
	h.run("unlock").fails(t, 1, "this machine holds no reboot slot")
	h.run("--group", "canary", "unlock", otherID).fails(t, 1, "unlock "+otherID+`: that machine holds no reboot slot in group "canary"`)
	h.run("unlock", otherID).ok(t)
	h.run("unlock", otherID).fails(t, 1, "that machine holds no reboot slot in the default group")
}

func TestLockWithoutMachineID(t *testing.T) {
	h := newHarness(t, embedetcd.StartT(t))
	h.writeFile("machine-id", "")
	h.run("lock").fails(t, 1, "lock: read machine id")
	h.run("unlock").fails(t, 1, "unlock: read machine id")
	h.run("lock", otherID).ok(t) // an explicit id needs no machine id
}

func TestBadHolderIDIsUsageError(t *testing.T) {
	h := newHarness(t, embedetcd.StartT(t))
	h.run("lock", "two words").fails(t, 2, "lock:", "invalid holder id")
	h.run("unlock", "").fails(t, 2, "unlock:", "invalid holder id")
}

func TestStatusJSON(t *testing.T) {
	h := newHarness(t, embedetcd.StartT(t))
	h.run("lock").ok(t)
	h.run("lock", "--group", "canary", otherID).ok(t)
	var got struct {
		Group     string `json:"group"`
		Key       string `json:"key"`
		Available int    `json:"available"`
		Max       int    `json:"max"`
		Holders   []struct {
			ID         string    `json:"id"`
			Hostname   string    `json:"hostname"`
			BootID     string    `json:"boot_id"`
			Reason     string    `json:"reason"`
			AcquiredAt time.Time `json:"acquired_at"`
		} `json:"holders"`
		Waiters  []string `json:"waiters"`
		Revision int64    `json:"revision"`
	}
	out := h.run("status", "--json").ok(t)
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("status --json printed %q: %v", out, err)
	}
	if got.Group != "" || got.Key != "coreos.com/updateengine/rebootlock/semaphore" || got.Available != 0 || got.Max != 1 ||
		len(got.Holders) != 1 || got.Waiters == nil || len(got.Waiters) != 0 || got.Revision == 0 {
		t.Fatalf("status --json = %+v\n%s", got, out)
	}
	hd := got.Holders[0]
	if hd.ID != thisID || hd.Hostname != thisHost || hd.BootID != "" || hd.Reason != "locksmithctl lock" || !hd.AcquiredAt.Equal(t0) {
		t.Fatalf("holder = %+v", hd)
	}

	out = h.run("--json", "--group=canary", "status").ok(t)
	got.Holders = nil
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Group != "canary" || got.Key != "coreos.com/updateengine/rebootlock/groups/canary/semaphore" ||
		len(got.Holders) != 1 || got.Holders[0].ID != otherID || got.Holders[0].Hostname != "" {
		t.Fatalf("status --json of canary = %s", out)
	}
}
