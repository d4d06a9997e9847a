package promtest

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
)

// Prometheus scrapes a real HTTP server on loopback, and the query API returns what it served.
func TestPrometheusScrapesATargetAndAnswersQueries(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "# TYPE test_answer gauge\ntest_answer 42\n")
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	p := StartT(t, []string{ln.Addr().String()})
	ctx := t.Context()
	got, err := p.WaitFor(ctx, "test_answer", func(s []Sample) bool { return len(s) == 1 })
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Value != 42 || got[0].Labels["instance"] != ln.Addr().String() || got[0].Labels["job"] != "locksmith" {
		t.Errorf("test_answer = %+v", got[0])
	}
	if _, err := p.Query(ctx, "sum(("); err == nil || !strings.Contains(err.Error(), "parse error") {
		t.Errorf("a bad query gave %v, want prometheus's parse error", err)
	}
}
