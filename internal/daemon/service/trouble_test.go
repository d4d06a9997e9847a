package service

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The trouble hook logs the first error and then one line per troubleEvery, counting the errors
// it kept quiet about.
func TestTroubleLogIsRateLimited(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	hook := troubleLog(slog.New(slog.NewTextHandler(&buf, nil)), func() time.Time { return now })
	for _, step := range []time.Duration{0, time.Second, 10 * time.Second, troubleEvery - 11*time.Second, time.Second} {
		now = now.Add(step)
		hook(errors.New("etcdserver: request timed out"))
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want 2 (the first error, and one %s later):\n%s", len(lines), troubleEvery, buf.String())
	}
	for i, want := range []string{"errors_since_last_line=0", "errors_since_last_line=2"} {
		if !strings.Contains(lines[i], want) || !strings.Contains(lines[i], "request timed out") {
			t.Errorf("line %d = %q, want the error and %s", i+1, lines[i], want)
		}
	}
}
