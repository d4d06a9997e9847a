package promtest

import (
	"strings"
	"testing"
)

// Prometheus scrapes a real HTTP server on loopback, and the query API returns what it served.
func TestPrometheusScrapesATargetAndAnswersQueries(t *testing.T) {
	tg := NewTargetT(t)
	tg.Set("test_answer", 42)
	p := StartT(t, []string{tg.Addr}, Alert{Name: "Answered", Expr: "test_answer == 42", Labels: map[string]string{"severity": "info"}})
	ctx := t.Context()
	got, err := p.WaitFor(ctx, "test_answer", func(s []Sample) bool { return len(s) == 1 })
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Value != 42 || got[0].Labels["instance"] != tg.Addr || got[0].Labels["job"] != "locksmith" {
		t.Errorf("test_answer = %+v", got[0])
	}
	alerts, err := p.WaitFor(ctx, `ALERTS{alertstate="firing"}`, func(s []Sample) bool { return len(s) == 1 })
	if err != nil {
		t.Fatal(err)
	}
	if a := alerts[0].Labels; a["alertname"] != "Answered" || a["severity"] != "info" {
		t.Errorf("alert %v", a)
	}
	if _, err := p.Query(ctx, "sum(("); err == nil || !strings.Contains(err.Error(), "parse error") {
		t.Errorf("a bad query gave %v, want prometheus's parse error", err)
	}
}
