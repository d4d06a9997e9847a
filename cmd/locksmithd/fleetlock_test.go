package main_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"locksmith.dev/locksmith/fleetlock/server"
	"locksmith.dev/locksmith/semaphore"
)

// A node given --fleetlock-url goes through the whole life cycle (slot, reboot, post-reboot
// checks, release) through this project's FleetLock server, with no etcd of its own: its etcd
// endpoint is a closed port.
func TestFullCycleThroughFleetLock(t *testing.T) {
	e := newEnv(t)
	srv := server.New(e.client, server.Config{})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
	})
	checked := filepath.Join(e.dir, "checked")
	args := []string{"--fleetlock-url=" + hs.URL, "--endpoint=http://127.0.0.1:1", "--post-reboot-check=touch " + checked}

	before := e.start(args...)
	waitLine(t, before.stderr, "start log", "locksmithd starting", "slots_from=\"FleetLock at "+hs.URL+"\"")
	// At start it gives back whatever it may hold, after the checks, as Zincati does.
	waitLine(t, before.stderr, "start-up release", "released the reboot slot", "post-reboot checks passed")
	if err := os.Remove(checked); err != nil {
		t.Fatal(err)
	}
	waitLine(t, e.notes, "idle status", "STATUS=idle: waiting for a reboot to be needed")
	if err := e.ue.SetStatusAndEmit(needReboot); err != nil {
		t.Fatal(err)
	}
	e.waitSemaphore("the slot taken", func(st semaphore.State) bool { _, ok := st.Holder(machineID); return ok })
	e.waitRebootCalls(1)
	waitLine(t, before.stderr, "reboot request log", "reboot requested")
	before.terminate()
	if got := e.holders(); !slices.Equal(got, []string{machineID}) {
		t.Fatalf("holders after the reboot request %q, want the machine's slot kept", got)
	}
	if _, err := os.Stat(checked); err == nil {
		t.Fatal("the post-reboot check ran before the reboot")
	}

	e.bootInto("boot-2", "4081.2.1")
	e.ue.SetStatus(idle)
	after := e.start(args...)
	e.waitSemaphore("the slot released", func(st semaphore.State) bool { return len(st.Holders) == 0 })
	if _, err := os.Stat(checked); err != nil {
		t.Fatalf("slot released without the post-reboot check: %v", err)
	}
	waitLine(t, after.stderr, "idle log", "idle: waiting for a reboot to be needed")
	after.terminate()
	if n := e.logind.RebootCalls(); n != 1 {
		t.Fatalf("%d Reboot calls, want 1", n)
	}
}

// FleetLock settings that cannot work stop the daemon with exit 2 and one line naming the flag.
func TestFleetLockInvalid(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"--fleetlock-url=ftp://x"}, `--fleetlock-url="ftp://x": want an http:// or https:// URL`},
		{[]string{"--fleetlock-url=http://x", "--lock-ttl=1h"}, "--lock-ttl=\"1h0m0s\": stale slots cannot be removed through FleetLock"},
		{[]string{"--fleetlock-url=http://x", "--group=a/b"}, `--group="a/b": a FleetLock group must match`},
		{[]string{"--fleetlock-cafile=/ca.pem"}, "needs --fleetlock-url"},
		{[]string{"--fleetlock-url=http://x", "--fleetlock-certfile=/c.pem"}, "go together"},
	} {
		p := e.start(tt.args...)
		if code := p.wait(); code != 2 || !strings.Contains(p.stderr.String(), tt.says) || strings.Count(strings.TrimSpace(p.stderr.String()), "\n") != 0 {
			t.Errorf("locksmithd %q: exit %d, %q; want 2 and one line saying %q", tt.args, code, p.stderr.String(), tt.says)
		}
	}
}
