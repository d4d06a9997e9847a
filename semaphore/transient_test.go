package semaphore

import (
	"context"
	"sync/atomic"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

// leaderChangingClient returns a client of srv whose first n transactions fail with etcd's
// "leader changed", without reaching etcd; txns counts every transaction sent.
func leaderChangingClient(t *testing.T, srv *embedetcd.Server, n int64, txns *atomic.Int64) *clientv3.Client {
	return clientT(t, srv, grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if method == "/etcdserverpb.KV/Txn" && txns.Add(1) <= n {
			return rpctypes.ErrGRPCLeaderChanged
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}))
}

// A read that meets "leader changed" is sent again at once, a few times, before the error goes
// to the caller: a node back from its reboot does not wait its back-off for a passing election.
func TestReadRetriesALeaderChange(t *testing.T) {
	srv, c := etcdT(t)
	if err := newT(t, c, DefaultGroup).TryAcquire(ctxT(t), Holder{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	var txns atomic.Int64
	s := newT(t, leaderChangingClient(t, srv, transientRetries, &txns), DefaultGroup)
	st, err := s.Get(ctxT(t))
	if err != nil || len(st.Holders) != 1 {
		t.Fatalf("Get after %d leader changes = %+v, %v; want the state", transientRetries, st, err)
	}
	if got := txns.Load(); got != transientRetries+1 {
		t.Fatalf("%d transactions sent, want %d", got, transientRetries+1)
	}

	txns.Store(0)
	s = newT(t, leaderChangingClient(t, srv, transientRetries+1, &txns), DefaultGroup)
	if _, err := s.Get(ctxT(t)); !transient(err) {
		t.Fatalf("Get after %d leader changes = %v, want the leader change", transientRetries+1, err)
	}
	if got := txns.Load(); got != transientRetries+1 {
		t.Fatalf("%d transactions sent, want %d: no more than the retries", got, transientRetries+1)
	}
}

// A write that meets "leader changed" is not sent again blindly: it may have been applied.
func TestWriteDoesNotRetryALeaderChange(t *testing.T) {
	srv, _ := etcdT(t)
	var txns atomic.Int64
	s := newT(t, leaderChangingClient(t, srv, 1, &txns), DefaultGroup)
	if err := s.TryAcquire(ctxT(t), Holder{ID: "a"}); !transient(err) {
		t.Fatalf("TryAcquire after a leader change = %v, want that error", err)
	}
	if got := txns.Load(); got != 1 {
		t.Fatalf("%d transactions sent, want 1", got)
	}
}
