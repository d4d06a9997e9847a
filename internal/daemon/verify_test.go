package daemon_test

import (
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore"
)

// A machine back from its reboot releases its slot only if the reboot did what it was for.
func TestTheReleaseIsVerified(t *testing.T) {
	tests := []struct {
		name           string
		stillNeeded    bool
		left, now      string
		requireVersion bool
		fails          string // "" when the slot is released
	}{
		{"new version", false, "4081.2.0", "4152.2.0", true, ""},
		{"update still needs a reboot", true, "4081.2.0", "4152.2.0", true, "but a reboot is still needed"},
		{"same version", false, "4081.2.0", "4081.2.0", true, "came back on OS version 4081.2.0, the version it left"},
		{"same version allowed", false, "4081.2.0", "4081.2.0", false, ""},
		{"version unknown before", false, "", "4081.2.0", true, ""},
		{"slot without facts", true, "", "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t)
			h := semaphore.Holder{ID: "m1", BootID: "boot-0", Reason: "reboot", OSVersion: tt.left}
			if tt.name == "slot without facts" { // old locksmith's, or FleetLock's unknown slot
				h = semaphore.Holder{ID: "m1"}
			}
			n.take(h)
			n.cfg.OSVersion, n.cfg.RequireNewVersion = tt.now, tt.requireVersion
			n.upd.set(tt.stillNeeded, nil)
			n.start()
			if tt.fails == "" {
				// The log, not the semaphore: a reboot still needed takes a slot again at once.
				n.logged("released the reboot slot", `why="post-reboot checks passed"`)
				return
			}
			e := n.rec.waitState(t, daemon.StateHealthFailed)
			if !strings.Contains(e.Status, tt.fails) || !e.Holding {
				t.Fatalf("status %q (holding %v), want it to say %q and keep the slot", e.Status, e.Holding, tt.fails)
			}
			n.holds("m1", "boot-0")
		})
	}
}
