package semaphore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"

	"locksmith.dev/locksmith/internal/testkit/reqcount"
)

// leaseKeepAlive is the gRPC method of the stream of lease keep-alives.
const leaseKeepAlive = "/etcdserverpb.Lease/LeaseKeepAlive"

// onKeepAliveStream returns a dial option that wraps each lease keep-alive stream with wrap.
func onKeepAliveStream(wrap func(grpc.ClientStream) grpc.ClientStream) grpc.DialOption {
	return grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil || method != leaseKeepAlive {
			return cs, err
		}
		return wrap(cs), nil
	})
}

// keepAliveSent returns a dial option that tells ch of each lease
// keep-alive request sent (a send that would block is dropped).
func keepAliveSent(ch chan<- struct{}) grpc.DialOption {
	return onKeepAliveStream(func(cs grpc.ClientStream) grpc.ClientStream { return &keepAliveStream{ClientStream: cs, sent: ch} })
}

type keepAliveStream struct {
	grpc.ClientStream
	sent chan<- struct{}
}

func (s *keepAliveStream) SendMsg(m any) error {
	select {
	case s.sent <- struct{}{}:
	default:
	}
	return s.ClientStream.SendMsg(m)
}

// A waiter whose clean-up fails (its delete, and perhaps the revocation
// of its lease, fail during an etcd hiccup) must not strand the queue: its
// Semaphore lives on, as in locksmithd, yet its key leaves the queue, at
// once when the revocation works, within the waiter TTL when it does not.
// When etcd did not answer the revocation, the lease is revoked as soon as etcd answers again,
// well within the TTL (here 60 s, longer than the test waits): etcd's new leader would renew
// it, and its key would hold up the queue for a whole TTL after an outage.
// The waiter behind it is then served, and the same node can queue again.
func TestFailedCleanUpDoesNotStrandTheQueue(t *testing.T) {
	for _, tc := range []struct {
		name        string
		revokeFails bool
		code        codes.Code // of the failures
		ttl         int        // of a's lease
	}{
		{"revoke works", false, codes.FailedPrecondition, 2},
		{"revoke fails too", true, codes.FailedPrecondition, 2},
		{"etcd does not answer", true, codes.Unavailable, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := etcdT(t)
			ctx := ctxT(t)
			var failing atomic.Bool
			fc := failingClient(t, srv, tc.code, func(method string) bool {
				return failing.Load() && (strings.HasSuffix(method, "/Txn") || strings.HasSuffix(method, "/DeleteRange") ||
					tc.revokeFails && strings.HasSuffix(method, "/LeaseRevoke"))
			})
			holder := heldT(t, c, "h")
			a := newT(t, fc, DefaultGroup, WithWaiterTTL(tc.ttl))
			actx, cancelA := context.WithCancel(ctx)
			ares := queueT(actx, t, holder, a, "a")
			b := queueT(ctx, t, holder, newT(t, c, DefaultGroup), "b")

			failing.Store(true)
			cancelA()
			if err := result(t, ares); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled Acquire: %v, want context.Canceled", err)
			}
			if _, ids := queueKeys(t, holder); tc.revokeFails && !slices.Equal(ids, []string{"a", "b"}) {
				t.Fatalf("queue once the cancelled Acquire returned: %q, want a's key still there, then b", ids)
			}
			failing.Store(false)
			if tc.revokeFails {
				waitWaiters(t, holder, "b") // a's lease is revoked once etcd answers, or expires
			} else if _, ids := queueKeys(t, holder); !slices.Equal(ids, []string{"b"}) {
				t.Fatalf("queue once the cancelled Acquire returned: %q, want b alone", ids)
			}

			if err := holder.Release(ctx, "h"); err != nil {
				t.Fatal(err)
			}
			if err := result(t, b); err != nil {
				t.Fatalf("the waiter behind the failed clean-up: %v", err)
			}
			// The same node, on the same Semaphore, queues again.
			again := queueT(ctx, t, holder, a, "a")
			if err := holder.Release(ctx, "b"); err != nil {
				t.Fatal(err)
			}
			if err := result(t, again); err != nil {
				t.Fatalf("the node whose clean-up failed, queueing again: %v", err)
			}
			if err := a.Release(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			onlySemaphoreKey(t, c, "the last release")
		})
	}
}

// Keep-alives are sent while a wait is in progress, and none once it has
// ended, however long the Semaphore lives on.
func TestNoKeepAliveOnceNoWaitIsInProgress(t *testing.T) {
	srv, c := etcdT(t)
	ctx := ctxT(t)
	var rc reqcount.Counter
	keptAlive := make(chan struct{}, 1)
	s := newT(t, clientT(t, srv, append(rc.DialOptions(), keepAliveSent(keptAlive))...), DefaultGroup, WithWaiterTTL(2))
	holder := heldT(t, c, "h")
	waiting := queueT(ctx, t, holder, s, "w")
	waitFor(t, keptAlive) // the wait is kept alive

	// A probe key on the wait's lease tells when the lease is gone.
	keys, _ := queueKeys(t, holder)
	probe := "probe/wait-lease"
	if _, err := c.Put(ctx, probe, "", clientv3.WithLease(leaseOf(t, c, keys[0]))); err != nil {
		t.Fatal(err)
	}
	probeGone := c.Watch(ctx, probe, clientv3.WithFilterPut())

	if err := holder.Release(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, waiting); err != nil {
		t.Fatal(err)
	}
	sent := rc.ByMethod()[leaseKeepAlive]
	// Let a whole TTL pass, three keep-alive periods: a lease granted now
	// expires; and the wait's lease must go too, renewed by nobody.
	span, err := c.Grant(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, "probe/span", "", clientv3.WithLease(span.ID)); err != nil {
		t.Fatal(err)
	}
	spanGone := c.Watch(ctx, "probe/span", clientv3.WithFilterPut())
	for what, ch := range map[string]clientv3.WatchChan{"the wait's lease": probeGone, "a lease of 2 s": spanGone} {
		if wr := waitFor(t, ch); wr.Err() != nil || len(wr.Events) == 0 {
			t.Fatalf("%s did not end (the watch of its probe key ended with %v): still kept alive?", what, wr.Err())
		}
	}
	if n := rc.ByMethod()[leaseKeepAlive]; n != sent {
		t.Fatalf("%d keep-alives sent after the wait ended, want none", n-sent)
	}
}

func TestEachWaitHasItsOwnLease(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	holder := heldT(t, c, "h")
	s := newT(t, c, DefaultGroup)
	actx, cancelA := context.WithCancel(ctx)
	a := queueT(actx, t, holder, s, "a")
	b := queueT(ctx, t, holder, s, "b")
	keys, _ := queueKeys(t, holder)
	leases := []clientv3.LeaseID{leaseOf(t, c, keys[0]), leaseOf(t, c, keys[1])}
	if leases[0] == leases[1] {
		t.Fatalf("leases of two waits of one Semaphore: %x, want two different ones", leases)
	}
	// Ending one wait ends its lease only.
	cancelA()
	if err := result(t, a); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Acquire: %v, want context.Canceled", err)
	}
	now, _ := queueKeys(t, holder)
	if !slices.Equal(now, keys[1:]) {
		t.Fatalf("queue after cancelling a: %q, want b's key %q", now, keys[1])
	}
	if ttl, err := c.TimeToLive(ctx, leases[1]); err != nil || ttl.TTL <= 0 {
		t.Fatalf("lease of the wait going on: TTL %d, %v; want it alive", ttl.TTL, err)
	}
	if err := holder.Release(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, b); err != nil {
		t.Fatalf("the other wait: %v", err)
	}
}

// deniedLeaseClient returns a client of srv on which etcd seems to deny every lease, as a new
// leader may before it has applied the last writes of the old term: once armed is set, the next
// keep-alive answer says that the lease has expired (TTL 0), and injected is closed; every
// TimeToLive answers that the lease is not found. Keep-alives sent after the injection are told
// on sentAfter (a send that would block is dropped).
func deniedLeaseClient(t *testing.T, srv *embedetcd.Server, armed *atomic.Bool, injected, sentAfter chan struct{}) *clientv3.Client {
	return clientT(t, srv,
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if method == "/etcdserverpb.Lease/LeaseTimeToLive" {
				return rpctypes.ErrGRPCLeaseNotFound
			}
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
		onKeepAliveStream(func(cs grpc.ClientStream) grpc.ClientStream {
			return &deniedLeaseStream{ClientStream: cs, armed: armed, injected: injected, sentAfter: sentAfter}
		}))
}

type deniedLeaseStream struct {
	grpc.ClientStream
	armed               *atomic.Bool
	injected, sentAfter chan struct{}
}

func (s *deniedLeaseStream) SendMsg(m any) error {
	select {
	case <-s.injected:
		select {
		case s.sentAfter <- struct{}{}:
		default:
		}
	default:
	}
	return s.ClientStream.SendMsg(m)
}

func (s *deniedLeaseStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if resp, ok := m.(*etcdserverpb.LeaseKeepAliveResponse); ok && err == nil && s.armed.CompareAndSwap(true, false) {
		resp.TTL = 0
		close(s.injected)
	}
	return err
}

// A waiter whose keep-alive stream says that its lease has expired, while its waiter key is still
// there, keeps its place and its key, and renews the lease again: a new etcd leader can deny a
// lease it has not applied yet (TimeToLive says "not found"), and a waiter that believed it
// would queue again behind everyone, while its old key, renewed by nobody, held up the queue
// until it expired.
func TestWaiterKeepsItsPlaceWhenEtcdDeniesItsLease(t *testing.T) {
	srv, c := etcdT(t)
	ctx := ctxT(t)
	var armed atomic.Bool
	injected, sentAfter := make(chan struct{}), make(chan struct{}, 1)
	holder := heldT(t, c, "h")
	a := newT(t, deniedLeaseClient(t, srv, &armed, injected, sentAfter), DefaultGroup, WithWaiterTTL(3))
	armed.Store(true)
	ares := queueT(ctx, t, holder, a, "a")
	keys, _ := queueKeys(t, holder)
	bres := queueT(ctx, t, holder, newT(t, c, DefaultGroup), "b")

	waitFor(t, injected)
	waitFor(t, sentAfter) // the waiter renews its lease again
	if now, ids := queueKeys(t, holder); !slices.Equal(ids, []string{"a", "b"}) || now[0] != keys[0] {
		t.Fatalf("queue after the lease was denied: %q (keys %q), want a with its key %s, then b", ids, now, keys[0])
	}
	handOver(ctx, t, holder, ares, bres)
}
