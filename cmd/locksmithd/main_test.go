package main_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/dbustest"
	"locksmith.dev/locksmith/semaphore"
)

func TestFullCycle(t *testing.T) {
	e := newEnv(t)
	checked := filepath.Join(e.dir, "checked")
	check := "--post-reboot-check=touch " + checked

	before := e.start(check)
	waitLine(t, e.notes, "READY=1", "READY=1")
	waitLine(t, e.notes, "idle status", "STATUS=idle: waiting for a reboot to be needed")
	if err := e.ue.SetStatusAndEmit(needReboot); err != nil {
		t.Fatal(err)
	}
	st := e.waitSemaphore("the slot taken", func(st semaphore.State) bool { _, ok := st.Holder(machineID); return ok })
	if h, _ := st.Holder(machineID); h.BootID != "boot-1" || !strings.Contains(h.Reason, "4081.2.1") {
		t.Fatalf("holder %+v", h)
	}
	e.waitRebootCalls(1)
	waitLine(t, before.stderr, "reboot request log", "reboot requested")
	before.terminate() // the host goes down
	if got := e.holders(); !slices.Equal(got, []string{machineID}) {
		t.Fatalf("holders after the reboot request %q, want the machine's slot kept", got)
	}
	if s := e.coordinatorState(); s != "rebooting" {
		t.Fatalf("coordinator STATE=%s, want rebooting", s)
	}
	if _, err := os.Stat(checked); err == nil {
		t.Fatal("the post-reboot check ran before the reboot")
	}
	// The state file records the slot, so that the next start looks for it in etcd.
	stateFile := filepath.Join(e.dir, "state", "slot.json")
	if b, err := os.ReadFile(stateFile); err != nil || !strings.Contains(string(b), `"boot_id":"boot-1"`) {
		t.Fatalf("state file %q, %v; want the slot taken in boot-1", b, err)
	}

	// The host comes back with a new boot id and the update applied.
	e.bootInto("boot-2", "4081.2.1")
	e.ue.SetStatus(idle)
	after := e.start(check)
	e.waitSemaphore("the slot released", func(st semaphore.State) bool { return len(st.Holders) == 0 })
	if _, err := os.Stat(checked); err != nil {
		t.Fatalf("slot released without the post-reboot check: %v", err)
	}
	waitLine(t, after.stderr, "release log", "released the reboot slot", "post-reboot checks passed")
	waitLine(t, after.stderr, "idle log", "idle: waiting for a reboot to be needed")
	if _, err := os.Stat(stateFile); !os.IsNotExist(err) { // cleared before the machine went idle
		t.Fatalf("state file after the release: %v, want none", err)
	}
	if s := e.coordinatorState(); s != "running" {
		t.Fatalf("coordinator STATE=%s, want running", s)
	}
	after.terminate()
	if s := e.coordinatorState(); s != "stopped" {
		t.Fatalf("coordinator STATE=%s after the daemon stopped, want stopped", s)
	}
	if n := e.logind.RebootCalls(); n != 1 {
		t.Fatalf("%d Reboot calls, want 1", n)
	}
	waitLine(t, e.notes, "STOPPING=1", "STOPPING=1")
}

func TestWindowClosedTakesNoSlot(t *testing.T) {
	e := newEnv(t)
	opens := time.Now().UTC().Add(2 * time.Hour)
	p := e.start("--timezone=UTC", fmt.Sprintf("--reboot-windows=%02d:%02d 30m", opens.Hour(), opens.Minute()))
	if err := e.ue.SetStatusAndEmit(needReboot); err != nil {
		t.Fatal(err)
	}
	note := waitLine(t, e.notes, "window status", "STATUS=waiting for reboot window: opens", "UTC")
	if !strings.Contains(note, fmt.Sprintf("%02d:%02d UTC", opens.Hour(), opens.Minute())) {
		t.Fatalf("status %q does not say when the window opens", note)
	}
	if got := e.holders(); len(got) != 0 {
		t.Fatalf("holders %q while waiting for the window", got)
	}
	p.terminate()
	if got := e.holders(); len(got) != 0 || e.logind.RebootCalls() != 0 {
		t.Fatalf("holders %q, %d Reboot calls", got, e.logind.RebootCalls())
	}
}

func TestSpoofedSignalDoesNotReboot(t *testing.T) {
	e := newEnv(t)
	p := e.start()
	waitLine(t, p.stderr, "subscription", "waiting for update_engine to need a reboot")

	// Another local program claims a reboot is needed, broadcasting (the
	// daemon's match rule filters that out) and sending straight to the
	// daemon's connection (which reaches it whatever its match rules say).
	spoofer := e.bus.ConnectT(t)
	for _, dest := range []string{"", p.busName(spoofer)} {
		if err := dbustest.SendStatusUpdate(spoofer, dest, needReboot.Body()...); err != nil {
			t.Fatal(err)
		}
	}
	waitLine(t, p.stderr, "rejection", "ignoring StatusUpdate: sender does not own")
	// update_engine itself sends a signal its status does not confirm.
	if err := e.ue.Emit(needReboot); err != nil {
		t.Fatal(err)
	}
	waitLine(t, p.stderr, "rejection", "ignoring StatusUpdate: GetStatus does not confirm it")
	if got := e.holders(); len(got) != 0 || e.logind.RebootCalls() != 0 {
		t.Fatalf("holders %q, %d Reboot calls after spoofed signals", got, e.logind.RebootCalls())
	}

	// The daemon was listening all along: a real update reboots.
	if err := e.ue.SetStatusAndEmit(needReboot); err != nil {
		t.Fatal(err)
	}
	e.waitRebootCalls(1)
	p.terminate()
}

func TestFailingPostRebootCheckKeepsSlot(t *testing.T) {
	e := newEnv(t)
	if err := e.sem.Acquire(context.Background(), semaphore.Holder{ID: machineID, BootID: "boot-0"}); err != nil {
		t.Fatal(err)
	}
	p := e.start("--post-reboot-check=printf 'disk full\\nunhealthy\\n' >&2; exit 3", "--post-reboot-timeout=0")
	waitLine(t, e.notes, "loud status", "STATUS=post-reboot checks failed", "KEEPING the reboot slot", "locksmithctl unlock "+machineID)
	waitLine(t, p.stderr, "error log", "level=ERROR", "post-reboot checks failed", "exit status 3", "unhealthy")
	// The failure stays in the status while the daemon waits for the next
	// update, and is logged as an error.
	waitLine(t, e.notes, "sticky status", "STATUS=post-reboot checks failed, holding the reboot slot (rollout halted)",
		"exit status 3", "waiting for a reboot to be needed")
	waitLine(t, p.stderr, "sticky error log", "level=ERROR", "holding the reboot slot", "waiting for a reboot to be needed")
	p.terminate()
	if got := e.holders(); !slices.Equal(got, []string{machineID}) {
		t.Fatalf("holders %q, want the slot kept", got)
	}
	// The check's two lines of output never split a datagram into lines
	// that are not assignments (systemd would drop or misread them).
	for _, d := range strings.Split(e.notes.String(), "\n") {
		if name, _, ok := strings.Cut(d, "="); !ok || name == "" || strings.ToUpper(name) != name || strings.Contains(name, " ") {
			t.Errorf("sd_notify line %q is not VARIABLE=value", d)
		}
	}
}

func TestInvalidConfigurationExits2(t *testing.T) {
	bin := binary(t)
	tests := []struct {
		name string
		args []string
		vars []string
		want []string
	}{
		{"unknown strategy", nil, []string{"REBOOT_STRATEGY=best-effort"}, []string{"$REBOOT_STRATEGY", `"best-effort"`, "unknown reboot strategy"}},
		{"unknown strategy flag", []string{"-reboot-strategy=sometimes"}, nil, []string{"--reboot-strategy", `"sometimes"`}},
		{"bad duration", nil, []string{"LOCKSMITHD_LOCK_TTL=soon"}, []string{"LOCKSMITHD_LOCK_TTL", `"soon"`}},
		{"bad window", nil, []string{"REBOOT_WINDOW_START=25:00", "REBOOT_WINDOW_LENGTH=1h"}, []string{"$REBOOT_WINDOW_START", `"25:00"`}},
		{"missing machine id", []string{"--machine-id-file=/nonexistent/machine-id"}, nil, []string{"--machine-id-file", "/nonexistent/machine-id"}},
		{"unknown flag", []string{"--frobnicate"}, nil, []string{"frobnicate"}},
		{"missing CA file", nil, []string{"LOCKSMITHD_ETCD_CAFILE=/nonexistent"}, []string{"$LOCKSMITHD_ETCD_CAFILE (--etcd-cafile)", `"/nonexistent"`}},
		{"password without user", nil, []string{"LOCKSMITHD_ETCD_PASSWORD=x"}, []string{"$LOCKSMITHD_ETCD_PASSWORD (--etcd-password)", "without a user name"}},
		{"endpoint without scheme", nil, []string{"LOCKSMITHD_ENDPOINT=foo"}, []string{`$LOCKSMITHD_ENDPOINT (--endpoint)="foo"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startProc(t, bin, tt.args, tt.vars)
			if code := p.wait(); code != 2 {
				t.Fatalf("exit status %d, want 2; stderr:\n%s", code, p.stderr.String())
			}
			msg := p.stderr.String()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not mention %s", msg, w)
				}
			}
		})
	}
}

func TestHelpExits0(t *testing.T) {
	p := startProc(t, binary(t), []string{"--help"}, nil)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	for _, want := range []string{"--reboot-strategy", "$REBOOT_STRATEGY", "--post-reboot-check", "--lock-ttl"} {
		if !strings.Contains(p.stdout.String(), want) {
			t.Errorf("usage lacks %s:\n%s", want, p.stdout.String())
		}
	}
}

// Old locksmithd's -version prints the version; its -debug is accepted.
func TestVersionExits0(t *testing.T) {
	p := startProc(t, binary(t), []string{"-debug", "-version"}, nil)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, p.stderr.String())
	}
	if out := p.stdout.String(); !strings.HasPrefix(out, "locksmithd version ") {
		t.Fatalf("stdout %q", out)
	}
}
