package monitor

import (
	"context"
	"fmt"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// progressInterval is how often WaitRevision asks etcd for the watch's
// progress while it waits.
const progressInterval = 200 * time.Millisecond

// WaitRevision waits until every revision up to rev has been processed. It
// returns nil then, or the cause of ctx's end, or an error if the watch
// has ended.
func (m *Monitor) WaitRevision(ctx context.Context, rev int64) error {
	// A progress request sent before the watch is (re)created is lost;
	// it is repeated until the answer comes.
	tick := time.NewTicker(progressInterval)
	defer tick.Stop()
	for {
		m.mu.Lock()
		ok, changed := m.rev >= rev, m.changed
		m.mu.Unlock()
		if ok {
			return nil
		}
		// Revisions that touch no watched key produce no event: ask etcd
		// to tell the watch how far it is.
		_ = m.cli.RequestProgress(m.watchCtx)
		select {
		case <-changed:
		case <-tick.C:
		case <-m.done:
			return fmt.Errorf("monitor: wait for revision %d: the watch has ended", rev)
		case <-ctx.Done():
			return fmt.Errorf("monitor: wait for revision %d: %w", rev, context.Cause(ctx))
		}
	}
}

// Until waits until cond accepts what the monitor has observed, testing
// it at once and again after every revision processed (and every mark).
// It returns the accepted result; or, with an error, the last result when
// ctx ends or the watch has ended first. cond must not call the Monitor.
func (m *Monitor) Until(ctx context.Context, cond func(Result) bool) (Result, error) {
	for {
		m.mu.Lock()
		changed := m.changed
		m.mu.Unlock()
		r := m.Result()
		if cond(r) {
			return r, nil
		}
		select {
		case <-changed:
		case <-m.done:
			return m.Result(), fmt.Errorf("monitor: wait for a condition: the watch has ended")
		case <-ctx.Done():
			return r, fmt.Errorf("monitor: wait for a condition: %w", context.Cause(ctx))
		}
	}
}

// Sync waits until the monitor has processed every revision that etcd had
// when Sync was called. It returns nil then, an error if etcd cannot be
// read, or as WaitRevision.
func (m *Monitor) Sync(ctx context.Context) error {
	resp, err := m.cli.Get(ctx, m.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return fmt.Errorf("monitor: read the current revision: %w", err)
	}
	return m.WaitRevision(ctx, resp.Header.Revision)
}

// MarkWaiting tells the monitor that id starts waiting for a slot of
// group without a waiter key, as old locksmith's polling waits. The mark
// joins the end of the group's queue; it ends when id is seen acquiring or
// when UnmarkWaiting is called. Marking an id already marked, or a group
// not watched, does nothing.
func (m *Monitor) MarkWaiting(group, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.group(group)
	if g == nil {
		return
	}
	if _, ok := g.waiters[markPrefix+id]; ok {
		return
	}
	m.seq++
	g.enqueue(&m.rec, 0, m.now(), markPrefix+id, waiter{id: id, seq: m.seq})
	m.signal()
}

// UnmarkWaiting ends a mark set by MarkWaiting without an acquire (the
// node gave up waiting). Without a mark it does nothing.
func (m *Monitor) UnmarkWaiting(group, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g := m.group(group); g != nil {
		g.dequeue(&m.rec, 0, m.now(), markPrefix+id)
		m.signal()
	}
}

func (m *Monitor) group(name string) *group {
	i := slices.IndexFunc(m.order, func(g *group) bool { return g.name == name })
	if i < 0 {
		return nil
	}
	return m.order[i]
}

// Result returns a copy of everything observed so far.
func (m *Monitor) Result() Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := Result{
		Revision: m.rev,
		Events:   slices.Clone(m.rec.events),
		Exceeded: slices.Clone(m.rec.exceeded),
		FIFO:     slices.Clone(m.rec.fifo),
		Gaps:     slices.Clone(m.gaps),
		Problems: slices.Clone(m.problems),
	}
	for _, g := range m.order {
		r.Groups = append(r.Groups, g.result())
	}
	return r
}
