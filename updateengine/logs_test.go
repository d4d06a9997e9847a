package updateengine_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/testlog"
)

// waitTimeout bounds every wait for an event in these tests; reaching it
// means the event never came.
const waitTimeout = 30 * time.Second

// logRecorder is a slog.Handler that keeps every record, at every level, so
// a test can wait for a given log line without sleeping.
type logRecorder struct{ lines testlog.Lines }

func newLogRecorder() *logRecorder { return &logRecorder{} }

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
	r.lines.Add(b.String())
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
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	i, _, err := r.lines.Wait(ctx, from, parts...)
	if err != nil {
		t.Fatalf("%v after line %d; got:\n%s", err, from, r.lines.String())
	}
	return i + 1
}

// count returns how many lines have been logged.
func (r *logRecorder) count() int { return r.lines.Len() }
