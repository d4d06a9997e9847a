package promtest

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Target is a real HTTP server on loopback that serves gauges at /metrics, for prometheus to
// scrape; a test sets them to drive alerting rules and queries.
type Target struct {
	// Addr is its host:port.
	Addr string

	mu     sync.Mutex
	gauges map[string]float64
}

// NewTargetT starts a Target, closed when the test ends.
func NewTargetT(t *testing.T) *Target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := &Target{Addr: ln.Addr().String(), gauges: map[string]float64{}}
	srv := &http.Server{Handler: http.HandlerFunc(tg.serve)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return tg
}

// Set sets the gauge name to v.
func (tg *Target) Set(name string, v float64) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.gauges[name] = v
}

func (tg *Target) serve(w http.ResponseWriter, _ *http.Request) {
	tg.mu.Lock()
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(tg.gauges)) {
		fmt.Fprintf(&b, "# TYPE %s gauge\n%s %g\n", name, name, tg.gauges[name])
	}
	tg.mu.Unlock()
	_, _ = w.Write([]byte(b.String()))
}
