package e2e_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/sim/monitor"
)

// observer is the test's independent view of the semaphore of one group:
// the monitor records every revision of it, and until tests conditions on
// what the monitor saw.
type observer struct {
	mon *monitor.Monitor
}

// startObserver starts the monitor on group from the next revision on and
// stops it when the test ends; if the test failed, it logs the monitor's
// events.
func startObserver(ctx context.Context, t *testing.T, cli *clientv3.Client, group string) *observer {
	t.Helper()
	mon, err := monitor.Start(ctx, cli, monitor.Config{Groups: []string{group}})
	if err != nil {
		t.Fatal(err)
	}
	o := &observer{mon: mon}
	t.Cleanup(func() {
		if err := mon.Stop(); err != nil {
			t.Errorf("monitor: %v", err)
		}
		if t.Failed() {
			t.Logf("monitor's events:\n%s", o.timeline())
		}
	})
	return o
}

// result returns what the monitor has observed of the group so far.
func (o *observer) result() monitor.GroupResult { return o.mon.Result().Groups[0] }

// until waits until cond accepts what the monitor has observed, testing it
// once the monitor has caught up with etcd and after each revision it
// processes from then on. It returns the accepted result, or an error
// naming what when ctx ends first.
func (o *observer) until(ctx context.Context, what string, cond func(monitor.GroupResult) bool) (monitor.GroupResult, error) {
	if err := o.mon.Sync(ctx); err != nil {
		return o.result(), fmt.Errorf("wait until %s: %w", what, err)
	}
	r, err := o.mon.Until(ctx, func(r monitor.Result) bool { return cond(r.Groups[0]) })
	if err != nil {
		return r.Groups[0], fmt.Errorf("wait until %s: %w; monitor saw %s", what, err, summary(r.Groups[0]))
	}
	return r.Groups[0], nil
}

// holds waits until the monitor sees id hold a slot.
func (o *observer) holds(ctx context.Context, id string) error {
	_, err := o.until(ctx, id+" holds a slot", func(r monitor.GroupResult) bool { return slices.Contains(r.Holders, id) })
	return err
}

// releases waits until the monitor has seen n releases in all and returns
// what it saw.
func (o *observer) releases(ctx context.Context, n int) (monitor.GroupResult, error) {
	return o.until(ctx, fmt.Sprintf("%d releases", n), func(r monitor.GroupResult) bool { return r.Releases >= n })
}

// stillHolds checks, once the monitor has caught up with etcd, that id
// holds a slot; when tells what just happened to its daemon.
func (o *observer) stillHolds(ctx context.Context, id, when string) error {
	if err := o.mon.Sync(ctx); err != nil {
		return fmt.Errorf("check the slot of %s %s: %w", id, when, err)
	}
	if r := o.result(); !slices.Contains(r.Holders, id) {
		return fmt.Errorf("%s gave its slot back %s; monitor saw %s", id, when, summary(r))
	}
	return nil
}

// summary describes a group result in one line.
func summary(r monitor.GroupResult) string {
	return fmt.Sprintf("max %d, holders %q, waiting %q, %d acquires, %d releases, at most %d holders at once",
		r.Max, r.Holders, r.Waiting, r.Acquires, r.Releases, r.MaxConcurrent)
}

// timeline lists the monitor's events, one a line: acquires, releases, and the waiter keys put
// and deleted.
func (o *observer) timeline() string {
	var b strings.Builder
	for _, e := range o.mon.Result().Events {
		fmt.Fprintf(&b, "%s rev %d %s %s\n", e.Time.Format("15:04:05.000"), e.Revision, e.Kind, e.ID)
	}
	return b.String()
}
