package semaphore

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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
	s := newT(t, leaderChangingClient(t, srv, requestTries-1, &txns), DefaultGroup)
	st, err := s.Get(ctxT(t))
	if err != nil || len(st.Holders) != 1 {
		t.Fatalf("Get after %d leader changes = %+v, %v; want the state", requestTries-1, st, err)
	}
	if got := txns.Load(); got != requestTries {
		t.Fatalf("%d transactions sent, want %d", got, requestTries)
	}

	txns.Store(0)
	s = newT(t, leaderChangingClient(t, srv, requestTries, &txns), DefaultGroup)
	if _, err := s.Get(ctxT(t)); !transient(err) {
		t.Fatalf("Get after %d leader changes = %v, want the leader change", requestTries, err)
	}
	if got := txns.Load(); got != requestTries {
		t.Fatalf("%d transactions sent, want %d: no more than the tries", got, requestTries)
	}
}

// lostAnswerClient returns a client of srv whose first n transactions reach etcd, but whose
// answer is lost: the caller gets "unavailable" instead; txns counts every transaction sent.
func lostAnswerClient(t *testing.T, srv *embedetcd.Server, n int64, txns *atomic.Int64) *clientv3.Client {
	return clientT(t, srv, grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if method == "/etcdserverpb.KV/Txn" && txns.Add(1) <= n {
			return status.Error(codes.Unavailable, "injected: answer lost")
		}
		return err
	}))
}

// A write that meets "leader changed" is not sent again blindly, as it may have been applied: the
// value is read first, and the write sent again only if the read shows that it is still due.
func TestWriteReadsBeforeItRetriesALeaderChange(t *testing.T) {
	srv, c := etcdT(t)
	var txns atomic.Int64
	s := newT(t, leaderChangingClient(t, srv, 1, &txns), DefaultGroup)
	if err := s.TryAcquire(ctxT(t), Holder{ID: "a"}); err != nil {
		t.Fatalf("TryAcquire after a leader change = %v, want nil", err)
	}
	if got := txns.Load(); got != 3 {
		t.Fatalf("%d transactions sent, want 3: the write, a read, the write again", got)
	}
	if st, err := newT(t, c, DefaultGroup).Get(ctxT(t)); err != nil || !slices.Equal(holderIDs(st), []string{"a"}) {
		t.Fatalf("after TryAcquire: %+v, %v; want holder a", st, err)
	}
}

// A write applied whose answer was lost is not applied twice: TryAcquire and Release read the
// value and see their own write, and succeed.
func TestWriteWhoseAnswerWasLost(t *testing.T) {
	srv, c := etcdT(t)
	var txns atomic.Int64
	s := newT(t, lostAnswerClient(t, srv, 1, &txns), DefaultGroup)
	if err := s.TryAcquire(ctxT(t), Holder{ID: "a"}); err != nil {
		t.Fatalf("TryAcquire whose answer was lost = %v, want nil", err)
	}
	if got := txns.Load(); got != 2 {
		t.Fatalf("TryAcquire sent %d transactions, want 2: the write and the read that shows it", got)
	}
	txns.Store(0)
	s = newT(t, lostAnswerClient(t, srv, 1, &txns), DefaultGroup)
	if err := s.Release(ctxT(t), "a"); err != nil {
		t.Fatalf("Release whose answer was lost = %v, want nil", err)
	}
	st, err := newT(t, c, DefaultGroup).Get(ctxT(t))
	if err != nil || len(st.Holders) != 0 {
		t.Fatalf("after Release: %+v, %v; want no holder", st, err)
	}
	// The first write was the only one: the value was written by TryAcquire, then Release.
	if states := history(t, newT(t, c, DefaultGroup), 1); len(states) != 2 {
		t.Fatalf("the value was written %d times, want 2: %+v", len(states), states)
	}
}

// A write that keeps failing fails after requestTries tries, each but the first preceded by a
// read.
func TestWriteGivesUpAfterItsTries(t *testing.T) {
	srv, _ := etcdT(t)
	var writes, txns atomic.Int64
	c := clientT(t, srv, grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if txn, ok := req.(*pb.TxnRequest); ok {
			txns.Add(1)
			if len(txn.Success) > 0 && txn.Success[0].GetRequestPut() != nil {
				writes.Add(1)
				return rpctypes.ErrGRPCLeaderChanged
			}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}))
	if err := newT(t, c, DefaultGroup).TryAcquire(ctxT(t), Holder{ID: "a"}); !transient(err) {
		t.Fatalf("TryAcquire = %v, want the leader change", err)
	}
	if got, all := writes.Load(), txns.Load(); got != requestTries || all != 2*requestTries-1 {
		t.Fatalf("%d writes in %d transactions, want %d in %d", got, all, requestTries, 2*requestTries-1)
	}
}
