package monitor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/semaphore"
)

// waitersInfix separates a semaphore key from the id part of its waiter
// keys, "<semaphore key>/waiters/<lease>?<facts>", as in the data model of the
// semaphore package.
const waitersInfix = "/waiters/"

// ErrNoGroups is returned by Start when Config.Groups is empty.
var ErrNoGroups = errors.New("monitor: no group to watch")

// Config says what to watch.
type Config struct {
	// Groups are the reboot groups to watch; semaphore.DefaultGroup ("")
	// is the default group. At least one.
	Groups []string
	// FromRevision is the first revision observed: the state as of
	// FromRevision-1 is read first, then every revision from
	// FromRevision on is watched. 0 means from the revision after the
	// current one.
	FromRevision int64
	// Now stamps the events; time.Now when nil.
	Now func() time.Time

	// beforeWatch, when set, runs before the first watch is opened;
	// tests use it to compact the revisions the watch starts from.
	beforeWatch func()
}

// Monitor watches the semaphores of some groups. Its methods are safe for
// concurrent use.
type Monitor struct {
	cli      *clientv3.Client
	now      func() time.Time
	prefix   string            // common prefix of the watched keys
	byKey    map[string]*group // semaphore key → group
	order    []*group          // in the order of Config.Groups
	watchCtx context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	err      error // why the watch ended; set before done is closed

	mu       sync.Mutex
	rev      int64         // last revision fully processed
	changed  chan struct{} // closed and replaced whenever rev grows or a mark changes
	seq      int64         // last queue position given
	rec      recorder
	gaps     []Gap
	problems []Problem
}

// Start reads the state of the groups as of cfg.FromRevision-1 and
// watches them from cfg.FromRevision until Stop is called or ctx ends. It
// fails if cfg names no group, if etcd cannot be read, or if
// cfg.FromRevision-1 is already compacted (the error then wraps
// rpctypes.ErrCompacted).
func Start(ctx context.Context, cli *clientv3.Client, cfg Config) (*Monitor, error) {
	if len(cfg.Groups) == 0 {
		return nil, ErrNoGroups
	}
	m := &Monitor{cli: cli, now: cfg.Now, byKey: map[string]*group{}, changed: make(chan struct{}), done: make(chan struct{})}
	if m.now == nil {
		m.now = time.Now
	}
	var keys []string
	for _, name := range cfg.Groups {
		key := semaphore.Key(name)
		if _, dup := m.byKey[key]; dup {
			continue
		}
		g := newGroup(name, key)
		m.byKey[key] = g
		m.order = append(m.order, g)
		keys = append(keys, key)
	}
	m.prefix = commonPrefix(keys)

	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	if cfg.FromRevision > 1 {
		opts = append(opts, clientv3.WithRev(cfg.FromRevision-1))
	}
	var kvs []*mvccpb.KeyValue
	var rev int64
	if cfg.FromRevision != 1 {
		resp, err := cli.Get(ctx, m.prefix, opts...)
		if err != nil {
			return nil, fmt.Errorf("monitor: read semaphores under %q: %w", m.prefix, err)
		}
		kvs, rev = resp.Kvs, resp.Header.Revision
		if cfg.FromRevision > 1 {
			rev = cfg.FromRevision - 1
		}
	}
	m.load(rev, kvs, false)

	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(context.WithoutCancel(ctx)))
	m.watchCtx, m.cancel = wctx, cancel
	stop := context.AfterFunc(ctx, cancel)
	if cfg.beforeWatch != nil {
		cfg.beforeWatch()
	}
	go func() {
		defer close(m.done)
		defer stop()
		m.err = m.watch(wctx, rev+1)
	}()
	return m, nil
}

// Stop ends the watch and waits for it to end. It returns nil if the watch
// ran until Stop or the end of Start's context, or the error that ended it
// earlier.
func (m *Monitor) Stop() error {
	m.cancel()
	<-m.done
	return m.err
}

// commonPrefix returns the longest common prefix of keys.
func commonPrefix(keys []string) string {
	p := keys[0]
	for _, k := range keys[1:] {
		for !strings.HasPrefix(k, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// watch processes every revision from next on until ctx ends.
func (m *Monitor) watch(ctx context.Context, next int64) error {
	retry := time.Duration(0)
	for ctx.Err() == nil {
		actx, cancelAttempt := context.WithCancel(ctx)
		wch := m.cli.Watch(actx, m.prefix, clientv3.WithPrefix(), clientv3.WithRev(next))
		for resp := range wch {
			if resp.CompactRevision != 0 {
				var err error
				if next, err = m.resync(ctx, next); err != nil {
					break
				}
				retry = 0
				break // the watch is cancelled; open a new one from next
			}
			if err := resp.Err(); err != nil {
				break
			}
			next = m.apply(resp)
			retry = 0
		}
		cancelAttempt()
		if ctx.Err() != nil {
			break
		}
		// The watch ended (no leader, connection lost): watch again from
		// the next revision, backing off while it keeps failing.
		retry = min(max(2*retry, 50*time.Millisecond), 2*time.Second)
		t := time.NewTimer(retry)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	return nil
}

// apply processes one watch response and returns the next revision to
// watch from.
func (m *Monitor) apply(resp clientv3.WatchResponse) int64 {
	t := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := 0; i < len(resp.Events); {
		rev := resp.Events[i].Kv.ModRevision
		j := i
		for j < len(resp.Events) && resp.Events[j].Kv.ModRevision == rev {
			j++
		}
		m.applyRevision(rev, t, resp.Events[i:j])
		m.advance(rev)
		i = j
	}
	m.advance(resp.Header.Revision)
	return m.rev + 1
}

// applyRevision applies the events of one revision: semaphore values
// first, against the waiters as they were before the revision, then the
// waiter keys.
func (m *Monitor) applyRevision(rev int64, t time.Time, evs []*clientv3.Event) {
	for _, ev := range evs {
		if g := m.byKey[string(ev.Kv.Key)]; g != nil {
			if ev.Type == clientv3.EventTypeDelete {
				g.setValue(&m.rec, rev, t, g.max, nil, true)
				continue
			}
			slots, ids, err := decode(ev.Kv.Value)
			if err != nil {
				m.problems = append(m.problems, Problem{Revision: rev, Group: g.name, Problem: err.Error()})
				continue
			}
			g.setValue(&m.rec, rev, t, slots, ids, true)
		}
	}
	for _, ev := range evs {
		g, ok := m.waiterGroup(string(ev.Kv.Key))
		if !ok {
			continue
		}
		if ev.Type == clientv3.EventTypeDelete {
			g.dequeue(&m.rec, rev, t, string(ev.Kv.Key))
		} else if ev.IsCreate() {
			m.seq++
			g.enqueue(&m.rec, rev, t, string(ev.Kv.Key), waiter{id: string(ev.Kv.Value), seq: m.seq})
		}
	}
}

// waiterGroup returns the group a waiter key belongs to.
func (m *Monitor) waiterGroup(key string) (*group, bool) {
	sem, _, ok := strings.Cut(key, waitersInfix)
	if !ok {
		return nil, false
	}
	g, ok := m.byKey[sem]
	return g, ok
}

// load replaces the state by the key-values read at rev. With diff set,
// the changes are recorded as events (after a gap) without FIFO checks.
func (m *Monitor) load(rev int64, kvs []*mvccpb.KeyValue, diff bool) {
	t := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := &m.rec
	if !diff {
		rec = &recorder{}
	}
	seen := map[string]bool{}
	for _, kv := range kvs {
		if g := m.byKey[string(kv.Key)]; g != nil {
			slots, ids, err := decode(kv.Value)
			if err != nil {
				m.problems = append(m.problems, Problem{Revision: kv.ModRevision, Group: g.name, Problem: err.Error()})
				continue
			}
			seen[g.key] = true
			g.setValue(rec, rev, t, slots, ids, false)
		}
	}
	for _, g := range m.order {
		if !seen[g.key] && len(g.holders) > 0 {
			g.setValue(rec, rev, t, g.max, nil, false)
		}
	}
	waiters := map[string]bool{}
	slices.SortFunc(kvs, func(a, b *mvccpb.KeyValue) int { return cmp.Compare(a.CreateRevision, b.CreateRevision) })
	for _, kv := range kvs {
		key := string(kv.Key)
		if g, ok := m.waiterGroup(key); ok {
			waiters[key] = true
			if _, known := g.waiters[key]; !known {
				m.seq++
				g.enqueue(rec, rev, t, key, waiter{id: string(kv.Value), seq: m.seq})
			}
		}
	}
	for _, g := range m.order {
		for key := range g.waiters {
			if !strings.HasPrefix(key, markPrefix) && !waiters[key] {
				g.dequeue(rec, rev, t, key)
			}
		}
	}
	m.advance(rev)
}

// resync re-reads the current state after revisions from next on were
// compacted, records the gap and returns the next revision to watch from.
func (m *Monitor) resync(ctx context.Context, next int64) (int64, error) {
	resp, err := m.cli.Get(ctx, m.prefix, clientv3.WithPrefix())
	if err != nil {
		return next, err
	}
	m.mu.Lock()
	m.gaps = append(m.gaps, Gap{From: next, To: resp.Header.Revision})
	m.mu.Unlock()
	m.load(resp.Header.Revision, resp.Kvs, true)
	return resp.Header.Revision + 1, nil
}

// advance records that every revision up to rev was processed. m.mu is
// held.
func (m *Monitor) advance(rev int64) {
	if rev <= m.rev {
		return
	}
	m.rev = rev
	m.signal()
}

// signal wakes the callers of WaitRevision and Until. m.mu is held.
func (m *Monitor) signal() {
	close(m.changed)
	m.changed = make(chan struct{})
}
