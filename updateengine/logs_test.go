package updateengine_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitTimeout bounds every wait for an event in these tests; reaching it
// means the event never came.
const waitTimeout = 30 * time.Second

// logRecorder is a slog.Handler that keeps every record, at every level, so
// a test can wait for a given log line without sleeping.
type logRecorder struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
}

func newLogRecorder() *logRecorder {
	return &logRecorder{changed: make(chan struct{})}
}

func (r *logRecorder) logger() *slog.Logger { return slog.New(r) }

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle renders a record as "LEVEL message key=value ...".
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, b.String())
	close(r.changed)
	r.changed = make(chan struct{})
	return nil
}

// WithAttrs and WithGroup drop what they are given: the Client logs only
// with per-record attributes.
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

// waitFor blocks until a line logged at or after index from contains every
// part, and returns the index after that line. It fails the test after
// waitTimeout.
func (r *logRecorder) waitFor(t *testing.T, from int, parts ...string) int {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		r.mu.Lock()
		lines, changed := r.lines, r.changed
		r.mu.Unlock()
		for i := from; i < len(lines); i++ {
			if containsAll(lines[i], parts) {
				return i + 1
			}
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no log line with %q after line %d; got:\n%s", parts, from, strings.Join(lines, "\n"))
		}
	}
}

// count returns how many lines have been logged.
func (r *logRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lines)
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
