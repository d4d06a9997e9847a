package reqcount

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

func TestCountsUnaryCallsAndStreamMessages(t *testing.T) {
	srv := embedetcd.StartT(t)
	var c Counter
	cli, err := etcdclient.New(etcdclient.Config{Endpoints: srv.Endpoints(), DialOptions: c.DialOptions()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := cli.Put(ctx, "a", "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Get(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if got := c.Counts(); got != (Counts{Unary: 2}) {
		t.Fatalf("after put and get: %+v, want 2 unary calls", got)
	}
	if got := c.ByMethod(); len(got) != 2 || got["/etcdserverpb.KV/Put"] != 1 || got["/etcdserverpb.KV/Range"] != 1 {
		t.Fatalf("by method after put and get: %v", got)
	}

	// A watch opens a stream and sends one create request; the event it
	// receives is not counted.
	before := c.Counts()
	wctx, wcancel := context.WithCancel(ctx)
	wch := cli.Watch(clientv3.WithRequireLeader(wctx), "a")
	if _, err := cli.Put(ctx, "a", "2"); err != nil {
		t.Fatal(err)
	}
	select {
	case wr := <-wch:
		if err := wr.Err(); err != nil || len(wr.Events) != 1 {
			t.Fatalf("watch response %+v, err %v", wr, err)
		}
	case <-ctx.Done():
		t.Fatal("no watch event")
	}
	wcancel()
	got := c.Counts().Sub(before)
	if got.Unary != 1 || got.Streams != 1 || got.StreamMessages < 1 || got.StreamReceived < 2 {
		t.Fatalf("watch and put: %+v, want 1 unary, 1 stream, at least 1 stream message sent and 2 received (created, event)", got)
	}
	if got.Requests() != got.Unary+got.StreamMessages {
		t.Fatalf("Requests() = %d for %+v", got.Requests(), got)
	}
	// A cancel request may follow got; it can only add.
	if n := c.ByMethod()["/etcdserverpb.Watch/Watch"]; n < got.StreamMessages {
		t.Fatalf("watch messages by method %d, want at least %d", n, got.StreamMessages)
	}
}

func TestOneCounterServesSeveralClients(t *testing.T) {
	srv := embedetcd.StartT(t)
	var c Counter
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 3 {
		cli, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), DialOptions: c.DialOptions()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cli.Get(ctx, "k"); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		cli.Close()
	}
	if got := c.Counts().Unary; got != 3 {
		t.Fatalf("3 clients, one get each: %d unary calls counted", got)
	}
}
