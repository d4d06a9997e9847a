package ctl_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/history/etcdlog"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

func TestOperatorCommandsAreRecordedInTheHistory(t *testing.T) {
	h := newHarness(t, embedetcd.StartT(t))
	h.env["USER"] = "alice"
	h.run("set-max", "3").ok(t)
	h.advance(time.Minute)
	h.run("lock", otherID).ok(t)
	h.run("unlock", otherID).ok(t)
	h.run("set-max", "0").ok(t)
	want := "" +
		"2026-03-04 05:06:07 UTC  set-max             alice@node-1 set max from 1 to 3 in the default group\n" +
		"2026-03-04 05:07:07 UTC  lock                alice@node-1 took a slot for " + otherID + "\n" +
		"2026-03-04 05:07:07 UTC  unlock              alice@node-1 unlocked the slot of " + otherID + "\n" +
		"2026-03-04 05:07:07 UTC  set-max             alice@node-1 set max from 3 to 0 in the default group\n"
	expectOutput(t, "history", h.run("history").ok(t), want)

	lines := strings.Split(strings.TrimSpace(h.run("history", "--json", "--node", otherID).ok(t)), "\n")
	if len(lines) != 2 {
		t.Fatalf("history --node %s printed %d events, want lock and unlock:\n%s", otherID, len(lines), lines)
	}
	var e struct {
		Seq    int64  `json:"seq"`
		Kind   string `json:"kind"`
		Holder string `json:"holder"`
		By     string `json:"by"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil || e.Seq != 2 || e.Kind != "lock" || e.Holder != otherID || e.By != "alice@node-1" {
		t.Errorf("first --json line %q: %+v, %v", lines[0], e, err)
	}
	since := h.run("history", "--since", "30s").ok(t)
	if strings.Contains(since, "from 1 to 3") || !strings.Contains(since, "from 3 to 0") {
		t.Errorf("history --since 30s:\n%s", since)
	}
	h.run("history", "--since", "yesterday").fails(t, 2, `--since "yesterday" is neither a duration`)
	h.run("history", "--follow", "--summary").fails(t, 2, "--follow cannot go with --summary")
}

// rollout appends, as nodes would, the events of two reboots one after the other.
func rollout(t *testing.T, log *etcdlog.Log) {
	t.Helper()
	at := func(min int, kind history.Kind, node string) history.Event {
		return history.Event{Time: t0.Add(time.Duration(min) * time.Minute), Kind: kind, Node: node}
	}
	for _, e := range []history.Event{
		at(0, history.WaitingForSlot, "a"), at(0, history.WaitingForSlot, "b"),
		at(1, history.SlotTaken, "a"), at(2, history.RebootRequested, "a"), at(5, history.Booted, "a"), at(6, history.Released, "a"),
		at(6, history.SlotTaken, "b"), at(7, history.RebootRequested, "b"), at(8, history.Booted, "b"), at(20, history.ChecksFailed, "b"),
	} {
		if err := log.Append(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHistorySummaryAndTimelineShowTheLastRollout(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	log := etcdlog.New(srv.ClientT(t), "", 0)
	rollout(t, log)
	h.advance(30 * time.Minute)
	want := "" +
		"Last rollout in the default group: 2 reboots from 2026-03-04 05:06:07 UTC, in progress for 30m0s\n\n" +
		"MACHINE ID  HOSTNAME  WAIT  HOLD   DOWN  SLOWEST PHASE   OUTCOME\n" +
		"a           -         1m0s  5m0s   3m0s  down (3m0s)     done\n" +
		"b           -         6m0s  24m0s  1m0s  checks (22m0s)  checks failed\n"
	expectOutput(t, "history --summary", h.run("history", "--summary").ok(t), want)

	svg := filepath.Join(h.dir, "rollout.svg")
	h.run("history", "--timeline", svg).ok(t)
	data, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), `class="down"`); n != 2 || !strings.Contains(string(data), "max 1") {
		t.Errorf("timeline has %d down bars (want 2) or no max line:\n%s", n, data)
	}
	h.run("history", "--node", "nobody", "--timeline", svg).fails(t, 1, "no reboot recorded")
}

func TestHistorySkipsACorruptEventAndSaysSo(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	log := etcdlog.New(srv.ClientT(t), "", 0)
	rollout(t, log)
	key := etcdlog.Prefix("") + "events/00000000000000000003"
	if _, err := srv.ClientT(t).Put(t.Context(), key, "{garbage"); err != nil {
		t.Fatal(err)
	}
	r := h.run("history")
	if got := strings.Count(r.ok(t), "\n"); got != 9 {
		t.Errorf("%d events printed, want the 9 that parse", got)
	}
	if !strings.Contains(r.stderr, "warning: skipped a corrupt history event: "+key) {
		t.Errorf("stderr %q does not name the corrupt key", r.stderr)
	}
}

func TestHistoryFollowPrintsNewEvents(t *testing.T) {
	srv := embedetcd.StartT(t)
	h := newHarness(t, srv)
	log := etcdlog.New(srv.ClientT(t), "", 0)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	c := h.cli(&bytes.Buffer{}, &stderr)
	c.Stdout = pw
	done := make(chan error, 1)
	go func() {
		done <- c.Run(ctx, []string{"history", "--follow", "--node", "b"})
		_ = pw.Close()
	}()
	rollout(t, log)
	lines := bufio.NewScanner(pr)
	var got []string
	for len(got) < 5 && lines.Scan() {
		got = append(got, lines.Text())
	}
	cancel()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if err := <-done; err != nil {
		t.Fatalf("history --follow ended with %v (%s)", err, stderr.String())
	}
	if len(got) != 5 || !strings.Contains(got[0], "node b waits") || !strings.Contains(got[4], "node b FAILED") {
		t.Errorf("followed %q, want b's 5 events", got)
	}
}
