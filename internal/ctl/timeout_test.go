package ctl

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The cause of --timeout is a timeout for package semaphore too, which then names the endpoints.
func TestTimeoutCause(t *testing.T) {
	c := timeoutCause{30 * time.Second}
	if !errors.Is(c, errTimeout) || !errors.Is(c, context.DeadlineExceeded) || errors.Is(c, context.Canceled) {
		t.Fatalf("timeoutCause matches errTimeout %v, DeadlineExceeded %v, Canceled %v",
			errors.Is(c, errTimeout), errors.Is(c, context.DeadlineExceeded), errors.Is(c, context.Canceled))
	}
	if got, want := c.Error(), "timed out: no answer within 30s (see --timeout)"; got != want {
		t.Fatalf("timeoutCause says %q, want %q", got, want)
	}
}

// --timeout 0 means no limit for the connection too (it gave up after 5 s, sooner than the default).
func TestNoTimeoutConnects(t *testing.T) {
	if got := (&options{timeout: 0}).etcdConfig().DialTimeout; got < 24*time.Hour {
		t.Fatalf("--timeout 0 dials for at most %s", got)
	}
	if got := (&options{timeout: 30 * time.Second}).etcdConfig().DialTimeout; got != 30*time.Second {
		t.Fatalf("--timeout 30s dials for %s", got)
	}
}
