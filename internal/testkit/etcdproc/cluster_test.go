package etcdproc

import (
	"context"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/testbin"
)

func TestMain(m *testing.M) { testbin.Main(m) }

func put(t *testing.T, c *Cluster, key string) {
	t.Helper()
	// A put that reaches a member while the cluster elects a leader fails
	// with a timeout; a real client retries, and so does this one.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cli := c.Client(t)
	for {
		_, err := cli.Put(ctx, key, "v")
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("put %s: %v", key, err)
		case <-time.After(100 * time.Millisecond): // retry back-off
		}
	}
}

func TestClusterSurvivesLeaderKillAndStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three etcd processes")
	}
	c := StartCluster(t, 3)
	put(t, c, "before")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	leader, err := c.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Kill(leader)
	put(t, c, "after-kill")
	next, err := c.Leader(ctx)
	if err != nil {
		t.Fatalf("no new leader after killing member %d: %v", leader, err)
	}
	if next == leader {
		t.Fatalf("killed member %d still reported as leader", leader)
	}
	c.Restart(leader)
	other := (next + 1) % 3
	c.Stop(other)
	put(t, c, "while-stopped")
	c.Cont(other)
	put(t, c, "after-cont")
	resp, err := c.Client(t).Get(ctx, "before")
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("data written before the faults: %v, %v", resp, err)
	}
}
