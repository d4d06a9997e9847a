package service

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/history/etcdlog"
	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/testkit/dbustest"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testlog"
	"locksmith.dev/locksmith/nodestate"
	"locksmith.dev/locksmith/notify"
)

// A node that reboots with --metrics-address and --notify-url keeps its history in etcd,
// publishes its state, posts each event to the webhook and shows it all in its metrics.
func TestMainRecordsPublishesPostsAndExports(t *testing.T) {
	srv := embedetcd.StartT(t)
	client := srv.ClientT(t)
	b := dbustest.StartBusT(t)
	ld, err := dbustest.ServeLogind(b)
	if err != nil {
		t.Fatal(err)
	}
	posts := make(chan notify.Body, 20)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body notify.Body
		if err := json.NewDecoder(r.Body).Decode(&body); err == nil {
			posts <- body
		}
	}))
	defer hook.Close()

	vars := offHost(t)
	dir := t.TempDir()
	sentinel := filepath.Join(dir, "reboot-required")
	osRelease := filepath.Join(dir, "os-release")
	for path, content := range map[string]string{sentinel: "", osRelease: "VERSION=4081.1.0\n"} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{
		"REBOOT_STRATEGY": "etcd-lock", "LOCKSMITHD_ENDPOINT": strings.Join(srv.Endpoints(), ","),
		"LOCKSMITHD_GROUP": "web", "LOCKSMITHD_UPDATE_ENGINE": "false", "LOCKSMITHD_REBOOT_SENTINEL": sentinel,
		"LOCKSMITHD_LOGIN_DELAY": "0", "DBUS_SYSTEM_BUS_ADDRESS": b.Address(), "LOCKSMITHD_OS_RELEASE_FILE": osRelease,
		"LOCKSMITHD_METRICS_ADDRESS": "127.0.0.1:0", "LOCKSMITHD_NOTIFY_URL": hook.URL,
	} {
		vars[k] = v
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	mctx, stop := context.WithCancel(ctx)
	logs := &testlog.Lines{}
	done := make(chan error, 1)
	go func() { done <- Main(mctx, nil, envflag.Map(vars), io.Discard, logs) }()
	defer stop()

	kinds := []history.Kind{history.RebootNeeded, history.WaitingForSlot, history.SlotTaken, history.RebootRequested}
	got := followUntil(t, ctx, etcdlog.New(client, "web", 0), history.RebootRequested)
	if len(got) != len(kinds) {
		t.Fatalf("history %v, want %v", got, kinds)
	}
	for i, e := range got {
		if e.Kind != kinds[i] || e.Node != "m1" || e.Group != "web" {
			t.Errorf("event %d: %+v, want %s of m1 in web", i, e, kinds[i])
		}
	}
	if e := got[3]; e.OSVersion != "4081.1.0" || e.BootID != "new" {
		t.Errorf("reboot-requested %+v, want the OS version and boot id", e)
	}
	if ld.RebootCalls() != 1 {
		t.Errorf("%d reboot calls, want 1", ld.RebootCalls())
	}

	st := watchState(t, ctx, client, "web", "m1", "rebooting")
	if !st.RebootNeeded || st.Since.IsZero() {
		t.Errorf("published state %+v", st)
	}

	for _, want := range kinds {
		select {
		case p := <-posts:
			if p.Kind != want || !strings.HasPrefix(p.Text, "locksmith: node m1") {
				t.Errorf("webhook got %s %q, want %s", p.Kind, p.Text, want)
			}
		case <-ctx.Done():
			t.Fatalf("no webhook post of %s", want)
		}
	}

	_, line, err := logs.Wait(ctx, 0, "serving metrics")
	if err != nil {
		t.Fatal(err)
	}
	url := regexp.MustCompile(`http://\S+/metrics`).FindString(line)
	metrics := scrape(t, url)
	for _, want := range []string{
		`locksmith_state{state="rebooting"} 1`, `locksmith_state{state="idle"} 0`,
		"locksmith_reboot_needed 1", "locksmith_slot_held 1", "locksmith_reboots_total 1",
		"locksmith_reboot_window_open 1", "locksmith_slot_wait_seconds_count 1",
		"locksmith_group_max 1", "locksmith_group_holders 1", "locksmith_backend_errors_total 0",
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}

	// Stopped for its reboot, the node still says it reboots.
	stop()
	if err := <-done; err != nil {
		t.Errorf("Main = %v", err)
	}
	if st, ok, err := nodestate.Get(ctx, client, "web", "m1"); err != nil || !ok || st.State != "rebooting" {
		t.Errorf("published state after the stop: %+v, %v, %v; want rebooting", st, ok, err)
	}
}

// followUntil reads the log and follows it until an event of kind last, and returns the events.
func followUntil(t *testing.T, ctx context.Context, log *etcdlog.Log, last history.Kind) []history.Event {
	t.Helper()
	listing, err := log.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events := listing.Events
	for _, e := range events {
		if e.Kind == last {
			return events
		}
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err = log.Follow(fctx, listing.Revision, func(e history.Event) {
		events = append(events, e)
		if e.Kind == last {
			cancel()
		}
	}, func(c etcdlog.Corrupt) { t.Errorf("corrupt event %v", c) })
	if ctx.Err() != nil {
		t.Fatalf("no %s event; history %v (%v)", last, events, err)
	}
	return events
}

// watchState waits until node of group publishes state.
func watchState(t *testing.T, ctx context.Context, client *clientv3.Client, group, node, state string) nodestate.State {
	t.Helper()
	key := nodestate.Key(group, node)
	for resp := range client.Watch(ctx, key, clientv3.WithRev(1)) {
		for _, ev := range resp.Events {
			var st nodestate.State
			if json.Unmarshal(ev.Kv.Value, &st) == nil && st.State == state {
				return st
			}
		}
	}
	t.Fatalf("%s never published state %s", node, state)
	return nodestate.State{}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s, %v", url, resp.Status, err)
	}
	return string(body)
}

func TestMainRefusesATakenMetricsAddress(t *testing.T) {
	taken := httptest.NewServer(http.NotFoundHandler())
	defer taken.Close()
	vars := offHost(t)
	vars["LOCKSMITHD_METRICS_ADDRESS"] = strings.TrimPrefix(taken.URL, "http://")
	err := Main(t.Context(), nil, envflag.Map(vars), io.Discard, io.Discard)
	if ExitCode(err) != 2 || !strings.Contains(err.Error(), "--metrics-address "+vars["LOCKSMITHD_METRICS_ADDRESS"]) {
		t.Fatalf("Main = %v, want exit 2 naming the address", err)
	}
}
