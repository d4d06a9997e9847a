package embedetcd

import (
	"context"
	"testing"
	"time"
)

func TestStartServesRequests(t *testing.T) {
	s := StartT(t)
	c := s.ClientT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Put(ctx, "k", "v"); err != nil {
		t.Fatalf("put: %v", err)
	}
	resp, err := c.Get(ctx, "k")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
		t.Fatalf("get returned %v, want k=v", resp.Kvs)
	}
}

func TestTwoServersAreIndependent(t *testing.T) {
	a, b := StartT(t), StartT(t)
	if a.Endpoints()[0] == b.Endpoints()[0] {
		t.Fatalf("both servers listen on %s", a.Endpoints()[0])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.ClientT(t).Put(ctx, "k", "a"); err != nil {
		t.Fatal(err)
	}
	resp, err := b.ClientT(t).Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 0 {
		t.Fatalf("second server sees key written to the first: %v", resp.Kvs)
	}
}
