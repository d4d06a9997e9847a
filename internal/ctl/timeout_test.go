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
