// Package promtest starts Debian's prometheus for a test, with a temporary configuration that
// scrapes given targets and evaluates given alerting rules every second, and queries it through
// its HTTP API.
package promtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/promapi"
	"locksmith.dev/locksmith/internal/testkit/httpproc"
)

// Server is a running prometheus.
type Server struct {
	// URL is its base URL, e.g. "http://127.0.0.1:9090".
	URL string
}

// Alert is an alerting rule.
type Alert struct {
	Name, Expr string
	// For is how long Expr must hold before the alert fires; pending until then.
	For time.Duration
	// Labels are added to the alert.
	Labels map[string]string
}

// StartT starts prometheus scraping targets (host:port) at /metrics and evaluating alerts every
// second, and stops it when the test ends. Without a prometheus binary it skips the test, or
// fails it under CI=true.
func StartT(t *testing.T, targets []string, alerts ...Alert) *Server {
	t.Helper()
	bin := httpproc.LookPathT(t, "prometheus", "prometheus")
	dir := t.TempDir()
	quoted := make([]string, len(targets))
	for i, tg := range targets {
		quoted[i] = strconv.Quote(tg)
	}
	rulesPath := filepath.Join(dir, "rules.yml")
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\n"+
		"rule_files: [%q]\nscrape_configs:\n  - job_name: locksmith\n    static_configs:\n      - targets: [%s]\n",
		rulesPath, strings.Join(quoted, ", "))
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rulesPath, rules(alerts), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	httpproc.StartT(t, bin, []string{"--config.file=" + cfgPath, "--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr, "--log.level=warn"}, "http://"+addr+"/-/ready")
	return &Server{URL: "http://" + addr}
}

// rules renders alerts as a rule file (JSON is YAML).
func rules(alerts []Alert) []byte {
	type rule struct {
		Alert  string            `json:"alert"`
		Expr   string            `json:"expr"`
		For    string            `json:"for,omitempty"`
		Labels map[string]string `json:"labels,omitempty"`
	}
	rs := make([]rule, 0, len(alerts))
	for _, a := range alerts {
		r := rule{Alert: a.Name, Expr: a.Expr, Labels: a.Labels}
		if a.For > 0 {
			r.For = fmt.Sprintf("%ds", int(a.For.Seconds()))
		}
		rs = append(rs, r)
	}
	type group struct {
		Name  string `json:"name"`
		Rules []rule `json:"rules"`
	}
	b, _ := json.Marshal(map[string][]group{"groups": {{Name: "test", Rules: rs}}})
	return b
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr(t *testing.T) string { return httpproc.FreeAddr(t) }

// Sample is one series of an instant vector.
type Sample = promapi.Sample

// Query evaluates expr now through the HTTP API (see promapi.Client.Query).
func (s *Server) Query(ctx context.Context, expr string) ([]Sample, error) {
	return promapi.Client{URL: s.URL}.Query(ctx, expr)
}

// WaitFor evaluates expr every 200 ms until ok accepts its result or ctx ends, and returns the
// last result.
func (s *Server) WaitFor(ctx context.Context, expr string, ok func([]Sample) bool) ([]Sample, error) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := s.Query(ctx, expr)
		if err == nil && ok(got) {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, fmt.Errorf("prometheus never gave what was wanted for %q (last: %v, %v)", expr, got, err)
		case <-tick.C:
		}
	}
}
