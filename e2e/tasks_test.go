package e2e_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// tasks runs the harness's background work (reboots, daemon crashes)
// beside the test's goroutine. The first failure fails the test and
// cancels the context of every task and wait, so that the test ends at
// once with that cause.
type tasks struct {
	t      *testing.T
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup
}

// newTasks returns tasks whose context derives from ctx. They are stopped
// when the test ends, before anything cleaned up earlier.
func newTasks(ctx context.Context, t *testing.T) *tasks {
	ts := &tasks{t: t}
	ts.ctx, ts.cancel = context.WithCancelCause(ctx)
	t.Cleanup(ts.stop)
	return ts
}

// Go runs f in its own goroutine; an error fails the test.
func (ts *tasks) Go(name string, f func(context.Context) error) {
	ts.wg.Go(func() {
		if err := f(ts.ctx); err != nil {
			ts.fail(fmt.Errorf("%s: %w", name, err))
		}
	})
}

// fail fails the test with err and cancels the tasks.
func (ts *tasks) fail(err error) {
	ts.t.Error(err)
	ts.cancel(err)
}

// stop cancels the tasks and waits for them to end.
func (ts *tasks) stop() {
	ts.cancel(context.Canceled)
	ts.wg.Wait()
}
