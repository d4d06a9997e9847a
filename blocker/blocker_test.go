package blocker_test

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/blocker"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/promapi"
	"locksmith.dev/locksmith/internal/testkit/promtest"
)

// Alerts and Query ask a real Prometheus whose alerting rules follow gauges the test sets.
func TestPrometheusBlockers(t *testing.T) {
	tg := promtest.NewTargetT(t)
	tg.Set("test_trouble", 1)
	tg.Set("test_disk_slow", 1)
	prom := promtest.StartT(t, []string{tg.Addr},
		promtest.Alert{Name: "NodeTrouble", Expr: "test_trouble > 0", Labels: map[string]string{"severity": "critical"}},
		promtest.Alert{Name: "DiskSlow", Expr: "test_disk_slow > 0", Labels: map[string]string{"severity": "warning"}},
		promtest.Alert{Name: "LongPending", Expr: "test_trouble > 0", For: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if _, err := prom.WaitFor(ctx, "ALERTS", func(s []promtest.Sample) bool { return len(s) == 3 }); err != nil {
		t.Fatal(err)
	}
	client := promapi.Client{URL: prom.URL}
	const prefix = "Prometheus alerts active: "
	tests := []struct {
		name string
		a    blocker.Alerts
		want string
	}{
		{"all", blocker.Alerts{}, "DiskSlow, LongPending (pending), NodeTrouble"},
		{"firing only", blocker.Alerts{FiringOnly: true}, "DiskSlow, NodeTrouble"},
		{"filter", blocker.Alerts{Filter: regexp.MustCompile("^Disk")}, "LongPending (pending), NodeTrouble"},
		{"match only", blocker.Alerts{Filter: regexp.MustCompile("^Disk"), MatchOnly: true}, "DiskSlow"},
		{"labels", blocker.Alerts{Labels: map[string]string{"severity": "critical"}}, "NodeTrouble"},
		{"labels match none", blocker.Alerts{Labels: map[string]string{"severity": "page"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.a.Prometheus = client
			got, err := tt.a.Blocked(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := prefix + tt.want; tt.want == "" && got != "" || tt.want != "" && got != want {
				t.Errorf("Blocked = %q, want %q", got, want)
			}
		})
	}
	q := blocker.Query{Prometheus: client, Expr: "test_trouble > 0"}
	if got, err := q.Blocked(ctx); err != nil || got != `PromQL "test_trouble > 0" has 1 result(s)` {
		t.Errorf("query Blocked = %q, %v", got, err)
	}

	tg.Set("test_trouble", 0)
	tg.Set("test_disk_slow", 0)
	if _, err := prom.WaitFor(ctx, "ALERTS", func(s []promtest.Sample) bool { return len(s) == 0 }); err != nil {
		t.Fatal(err)
	}
	if got, err := (blocker.Alerts{Prometheus: client}).Blocked(ctx); got != "" || err != nil {
		t.Errorf("cleared alerts: Blocked = %q, %v", got, err)
	}
	if got, err := q.Blocked(ctx); got != "" || err != nil {
		t.Errorf("cleared query: Blocked = %q, %v", got, err)
	}

	bad := blocker.Query{Prometheus: client, Expr: "sum(("}
	if got, err := bad.Blocked(ctx); !errors.Is(err, promapi.ErrBadQuery) || got == "" {
		t.Errorf("bad query: Blocked = %q, %v; want a block and ErrBadQuery", got, err)
	}
}

// A Prometheus that cannot be asked blocks, unless FailOpen.
func TestUnreachablePrometheusFailsClosed(t *testing.T) {
	gone := promapi.Client{URL: "http://" + promtest.FreeAddr(t)}
	ctx := t.Context()
	got, err := (blocker.Alerts{Prometheus: gone}).Blocked(ctx)
	if err == nil || !strings.HasPrefix(got, "cannot ask Prometheus, so not rebooting (fail-closed): ") {
		t.Errorf("fail-closed alerts: Blocked = %q, %v", got, err)
	}
	got, err = (blocker.Query{Prometheus: gone, Expr: "up", FailOpen: true}).Blocked(ctx)
	if err == nil || got != "" {
		t.Errorf("fail-open query: Blocked = %q, %v; want no block and the error", got, err)
	}
}

// A command blocks while it exits non-zero, through locksmithd's shell runner.
func TestCommandBlocksWhileItFails(t *testing.T) {
	flag := t.TempDir() + "/busy"
	c := blocker.Command{Run: daemon.ShellRunner{}.Run, Cmd: "! test -e " + flag}
	if got, err := c.Blocked(t.Context()); got != "" || err != nil {
		t.Errorf("Blocked = %q, %v with no flag file", got, err)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := c.Blocked(t.Context())
	if err != nil || !strings.HasPrefix(got, "reboot blocker `! test -e "+flag+"`: ") || !strings.Contains(got, "exit status 1") {
		t.Errorf("Blocked = %q, %v with the flag file", got, err)
	}
}
