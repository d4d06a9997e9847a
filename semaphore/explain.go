package semaphore

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// explain words err, the error of an operation under ctx, for the people who read it. When ctx's
// deadline passed first, etcd's own error says only "context canceled" or "deadline exceeded";
// the result starts with the endpoints and ctx's cause instead, and wraps both: "etcd at
// http://10.0.0.1:2379: timed out after 10s (get …: context canceled)". Other errors, nil, and
// errors under a context cancelled for another reason are returned as they are. This is the one
// place that words an etcd timeout: locksmithd and locksmithctl show it as it is.
func (s *Semaphore) explain(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	cause := context.Cause(ctx)
	if !errors.Is(cause, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("etcd at %s: %w (%w)", strings.Join(s.client.Endpoints(), ","), cause, err)
}
