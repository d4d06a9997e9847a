package semaphore

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/reqcount"
)

// testTimeout bounds every wait of a test; reaching it is a failure.
const testTimeout = 30 * time.Second

// etcdT starts a real embedded etcd and returns a client of it.
func etcdT(t testing.TB) (*embedetcd.Server, *clientv3.Client) {
	t.Helper()
	srv := embedetcd.StartT(t)
	return srv, srv.ClientT(t)
}

// ctxT returns a context that ends with the test or after testTimeout.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newT returns a Semaphore that is closed when the test ends.
func newT(t testing.TB, c *clientv3.Client, group string, opts ...Option) *Semaphore {
	s := New(c, group, opts...)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// heldT returns a Semaphore of the default group in which id holds a slot.
func heldT(t testing.TB, c *clientv3.Client, id string) *Semaphore {
	t.Helper()
	s := newT(t, c, DefaultGroup)
	if err := s.TryAcquire(ctxT(t), Holder{ID: id}); err != nil {
		t.Fatalf("TryAcquire %s: %v", id, err)
	}
	return s
}

// noKeys fails the test if etcd holds any key after what.
func noKeys(t testing.TB, c *clientv3.Client, what string) {
	t.Helper()
	if keys := allKeys(t, c); len(keys) != 0 {
		t.Fatalf("%s wrote %q", what, keys)
	}
}

// onlySemaphoreKey fails the test if etcd holds any key but the semaphore
// key of the default group after what: no waiter, last-waiter or release
// request key is left.
func onlySemaphoreKey(t testing.TB, c *clientv3.Client, what string) {
	t.Helper()
	if keys := allKeys(t, c); !slices.Equal(keys, []string{Key(DefaultGroup)}) {
		t.Fatalf("keys after %s: %q, want only the semaphore key", what, keys)
	}
}

// leaseOf returns the lease a waiter key is bound to, failing the test
// when the key is absent or bound to none.
func leaseOf(t testing.TB, c *clientv3.Client, key string) clientv3.LeaseID {
	t.Helper()
	resp, err := c.Get(ctxT(t), key)
	if err != nil || len(resp.Kvs) != 1 || resp.Kvs[0].Lease == 0 {
		t.Fatalf("waiter key %s: %v %v, want one key bound to a lease", key, resp, err)
	}
	return clientv3.LeaseID(resp.Kvs[0].Lease)
}

// rawGet returns the stored bytes of key and its mod revision (nil, 0 when
// absent).
func rawGet(t testing.TB, c *clientv3.Client, key string) ([]byte, int64) {
	t.Helper()
	resp, err := c.Get(ctxT(t), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, 0
	}
	return resp.Kvs[0].Value, resp.Kvs[0].ModRevision
}

func rawPut(t testing.TB, c *clientv3.Client, key, val string) int64 {
	t.Helper()
	resp, err := c.Put(ctxT(t), key, val)
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return resp.Header.Revision
}

// allKeys lists every key in etcd.
func allKeys(t testing.TB, c *clientv3.Client) []string {
	t.Helper()
	resp, err := c.Get(ctxT(t), "", clientv3.WithFromKey(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatalf("list keys: %v", err)
	}
	var keys []string
	for _, kv := range resp.Kvs {
		keys = append(keys, string(kv.Key))
	}
	return keys
}

// waitQueue waits until the queue of s satisfies ok, re-checking on every
// change of the queue (a watch, not polling), and returns it.
func waitQueue(t testing.TB, s *Semaphore, ok func([]string) bool) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	wch := s.client.Watch(ctx, s.queue, clientv3.WithPrefix())
	for {
		ids, err := s.Waiters(ctx)
		if err != nil {
			t.Fatalf("waiters: %v", err)
		}
		if ok(ids) {
			return ids
		}
		select {
		case <-wch:
		case <-ctx.Done():
			t.Fatalf("queue is %q, still not as expected after %s", ids, testTimeout)
		}
	}
}

// waitWaiters waits until the queue of s is exactly want.
func waitWaiters(t testing.TB, s *Semaphore, want ...string) {
	t.Helper()
	waitQueue(t, s, func(ids []string) bool { return slices.Equal(ids, want) })
}

// acquireAsync runs Acquire in a goroutine; the channel yields its result.
func acquireAsync(ctx context.Context, s *Semaphore, id string) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- s.Acquire(ctx, Holder{ID: id}) }()
	return ch
}

// queueT starts Acquire(id) on s and waits until the queue, seen through
// observer, ends with id.
func queueT(ctx context.Context, t testing.TB, observer, s *Semaphore, id string) <-chan error {
	t.Helper()
	ch := acquireAsync(ctx, s, id)
	waitQueue(t, observer, func(ids []string) bool { return len(ids) > 0 && ids[len(ids)-1] == id })
	return ch
}

// result waits for the result of an asynchronous call.
func result(t testing.TB, ch <-chan error) error {
	t.Helper()
	return waitFor(t, ch)
}

// holderIDs returns the ids of st's holders.
func holderIDs(st State) []string {
	ids := []string{}
	for _, h := range st.Holders {
		ids = append(ids, h.ID)
	}
	return ids
}

// clientT returns a client of srv that installs opts and is closed when
// the test ends.
func clientT(t testing.TB, srv *embedetcd.Server, opts ...grpc.DialOption) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   srv.Endpoints(),
		DialTimeout: 10 * time.Second,
		DialOptions: opts,
		Logger:      zap.NewNop(), // cancelled requests at the end of a benchmark are no news
	})
	if err != nil {
		t.Fatalf("etcd client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// countingClient returns a client of srv whose requests rc counts.
func countingClient(t testing.TB, srv *embedetcd.Server, rc *reqcount.Counter) *clientv3.Client {
	t.Helper()
	return clientT(t, srv, rc.DialOptions()...)
}

// queueKeys returns the waiter keys of s and their ids, first come first.
func queueKeys(t testing.TB, s *Semaphore) (keys, ids []string) {
	t.Helper()
	resp, err := s.client.Get(ctxT(t), s.queue, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
	if err != nil {
		t.Fatalf("list queue: %v", err)
	}
	for _, kv := range resp.Kvs {
		keys = append(keys, string(kv.Key))
		ids = append(ids, string(kv.Value))
	}
	return keys, ids
}

// history returns every value the key of s had from revision from up to
// its current value, read from etcd's own history with a watch: a record
// of the semaphore that does not depend on the package's reads. The key
// must have been written at or after from.
func history(t testing.TB, s *Semaphore, from int64) []State {
	t.Helper()
	ctx := ctxT(t)
	_, last := rawGet(t, s.client, s.key)
	var states []State
	for resp := range s.client.Watch(ctx, s.key, clientv3.WithRev(from)) {
		if err := resp.Err(); err != nil {
			t.Fatalf("watch history: %v", err)
		}
		for _, ev := range resp.Events {
			st, err := decodeValue(s.key, ev.Kv.Value)
			if err != nil {
				t.Fatalf("revision %d: %v", ev.Kv.ModRevision, err)
			}
			st.Revision = ev.Kv.ModRevision
			states = append(states, st)
			if st.Revision >= last {
				return states
			}
		}
	}
	t.Fatalf("watch history ended early: %v", ctx.Err())
	return nil
}

// checkAdmissions fails the test if any value in states admitted a holder
// (one that the previous value did not have) while it has more holders
// than slots. (One write may give back slots, applying release requests,
// and fill them.)
func checkAdmissions(t testing.TB, states []State) {
	t.Helper()
	for i := 1; i < len(states); i++ {
		prev, cur := states[i-1], states[i]
		for _, h := range cur.Holders {
			if _, held := prev.Holder(h.ID); !held && len(cur.Holders) > cur.Max {
				t.Errorf("revision %d admitted %s with %d holders for %d slots (revision %d had %d holders)",
					cur.Revision, h.ID, len(cur.Holders), cur.Max, prev.Revision, len(prev.Holders))
			}
		}
	}
}

// withWrapWatch lets f replace the channel of every watch a waiter opens.
func withWrapWatch(f func(clientv3.WatchChan) clientv3.WatchChan) Option {
	return func(o *options) { o.wrapWatch = f }
}

// withPoll sets how often waiters read what they watch (pollInterval by default).
func withPoll(d time.Duration) Option { return func(o *options) { o.poll = d } }

// withConfirm sets how long a waiter waits for etcd to confirm a new watch.
func withConfirm(d time.Duration) Option { return func(o *options) { o.confirm = d } }

// withSettled runs f each time a waiter settles to wait for an event: its
// watch is confirmed and the gap since its last read checked.
func withSettled(f func()) Option { return func(o *options) { o.settled = f } }

// waitFor receives one value from ch, failing the test after testTimeout.
func waitFor[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("nothing received after %s", testTimeout)
		var zero T
		return zero
	}
}

// racingClient returns a client of srv that calls before(n) ahead of
// sending its n-th transaction (n from 1), so that a test can change the
// key between a read and a compare-and-swap.
func racingClient(t testing.TB, srv *embedetcd.Server, before func(n int)) *clientv3.Client {
	t.Helper()
	var txns atomic.Int64
	return clientT(t, srv, grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if method == "/etcdserverpb.KV/Txn" {
			before(int(txns.Add(1)))
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}))
}

// failingClient returns a client of srv whose unary calls fail with code, without reaching etcd,
// while fail says so for their method (e.g. "/etcdserverpb.KV/Txn"). codes.Unavailable is
// etcd not answering; codes.FailedPrecondition an error not worth retrying.
func failingClient(t testing.TB, srv *embedetcd.Server, code codes.Code, fail func(method string) bool) *clientv3.Client {
	t.Helper()
	return clientT(t, srv, grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if fail(method) {
			return status.Errorf(code, "injected failure of %s", method)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}))
}

// losingClient returns a client of srv whose second transaction (for a
// fresh Semaphore, its first compare-and-swap on a value it read) is
// preceded by write, so that it loses a race; txns counts its
// transactions.
func losingClient(t testing.TB, srv *embedetcd.Server, txns *int, write func()) *clientv3.Client {
	return racingClient(t, srv, func(n int) {
		*txns = n
		if n == 2 {
			write()
		}
	})
}

// rewrite puts the bytes stored in key again: a write that changes
// nothing but the key's revision.
func rewrite(t testing.TB, c *clientv3.Client, key string) {
	raw, _ := rawGet(t, c, key)
	rawPut(t, c, key, string(raw))
}

// withHeadWait sets how long a Release waits for the head to apply its
// request.
func withHeadWait(d time.Duration) Option { return func(o *options) { o.headWait = d } }

// withBackedOff runs f before each back-off after a lost race.
func withBackedOff(f func(n int, d time.Duration)) Option {
	return func(o *options) { o.backedOff = f }
}

// queueHistory returns the events of the waiter keys of s from revision
// from on, read from etcd's own history, up to the first event at or after
// revision until; it fails the test if there is none.
func queueHistory(t testing.TB, s *Semaphore, from, until int64) []*clientv3.Event {
	t.Helper()
	ctx := ctxT(t)
	var evs []*clientv3.Event
	for resp := range s.client.Watch(ctx, s.queue, clientv3.WithPrefix(), clientv3.WithRev(from)) {
		if err := resp.Err(); err != nil {
			t.Fatalf("watch queue history: %v", err)
		}
		for _, ev := range resp.Events {
			evs = append(evs, ev)
			if ev.Kv.ModRevision >= until {
				return evs
			}
		}
	}
	t.Fatalf("no queue event at or after revision %d: %v", until, ctx.Err())
	return nil
}
