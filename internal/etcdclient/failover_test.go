package etcdclient_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/internal/testkit/etcdproc"
)

// A member that lets a request time out (here frozen with SIGSTOP) is left out of the client's
// endpoints at once, so that the requests that follow all go to the others; it is back after
// the quarantine. Endpoints that name the members by host name are left out as well.
func TestFrozenMemberIsLeftOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-member etcd cluster")
	}
	etcdclient.SetQuarantine(t, 2*time.Second)
	cluster := etcdproc.StartCluster(t, 3)
	for name, endpoints := range map[string][]string{"by address": cluster.Endpoints(), "by name": byName(cluster.Endpoints())} {
		t.Run(name, func(t *testing.T) {
			cli, err := etcdclient.New(etcdclient.Config{Endpoints: endpoints})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cli.Close() })
			leftOut(t, cluster, endpoints, cli.Endpoints, func(ctx context.Context) error { _, err := cli.Get(ctx, "k"); return err })
		})
	}
}

// byName returns the endpoints with localhost for 127.0.0.1.
func byName(endpoints []string) []string {
	named := make([]string, len(endpoints))
	for i, ep := range endpoints {
		named[i] = strings.Replace(ep, "127.0.0.1", "localhost", 1)
	}
	return named
}

// A member left out loses its connections at once: a watch whose stream was on it (here a
// frozen member, with a keep-alive too slow to notice) moves to another member, and delivers
// the change it missed.
func TestWatchLeavesAMemberLeftOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-member etcd cluster")
	}
	etcdclient.SetKeepAliveTime(t, time.Hour)
	cluster := etcdproc.StartCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	leader, err := cluster.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	member := (leader + 1) % 3 // a follower: the others keep a quorum
	eps := cluster.Endpoints()
	cli, err := etcdclient.New(etcdclient.Config{Endpoints: eps})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	cli.SetEndpoints(eps[member]) // the watch's stream goes to the member
	wch := cli.Watch(ctx, "k", clientv3.WithCreatedNotify())
	if resp := <-wch; !resp.Created {
		t.Fatalf("first watch response %+v, want the confirmation", resp)
	}
	cli.SetEndpoints(eps...)
	cluster.Stop(member)
	defer cluster.Cont(member)

	writer, err := etcdclient.New(etcdclient.Config{Endpoints: eps[leader : leader+1]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = writer.Close() })
	if _, err := writer.Put(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	for timedOut := false; !timedOut; { // the round-robin reaches the frozen member within 3
		gctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		_, err := cli.Get(gctx, "other")
		cancel()
		if timedOut = errors.Is(err, context.DeadlineExceeded); !timedOut && err != nil {
			t.Fatal(err)
		}
	}
	select {
	case resp := <-wch:
		if len(resp.Events) != 1 || string(resp.Events[0].Kv.Value) != "v" {
			t.Fatalf("watch response after the member was left out: %+v, want the put", resp)
		}
	case <-ctx.Done():
		t.Fatal("the watch on the member left out delivered nothing")
	}
}

// leftOut freezes a follower, sends requests until one times out, and checks that the
// endpoints leave the follower out until the quarantine ends.
func leftOut(t *testing.T, cluster *etcdproc.Cluster, configured []string, endpoints func() []string, send func(context.Context) error) {
	try := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		return send(ctx)
	}
	for range 6 { // every member answers
		if err := try(); err != nil {
			t.Fatal(err)
		}
	}
	// A follower: a frozen leader stalls every member's requests until the others elect one.
	leader, err := cluster.Leader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	member := (leader + 1) % 3
	frozen := configured[member]
	cluster.Stop(member)
	defer cluster.Cont(member)
	timedOut := false
	for range 6 { // the round-robin reaches the frozen member within 3
		if err := try(); errors.Is(err, context.DeadlineExceeded) {
			timedOut = true
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if !timedOut {
		t.Fatal("no request went to the frozen member")
	}
	if eps := endpoints(); slices.Contains(eps, frozen) || len(eps) != 2 {
		t.Fatalf("endpoints after a timeout of %s: %q, want the other two", frozen, eps)
	}
	for i := range 20 {
		if err := try(); err != nil {
			t.Fatalf("request %d after the frozen member was left out: %v", i, err)
		}
	}
	cluster.Cont(member)
	deadline := time.Now().Add(30 * time.Second)
	for len(endpoints()) != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("endpoints %q 30 s after the member was left out, want all 3 back", endpoints())
		}
		if err := try(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
	}
}

// At most a minority of the members is left out (one of three, none of two), the latest to time
// out.
func TestFailoverLeavesOutAMinority(t *testing.T) {
	cli, err := etcdclient.New(etcdclient.Config{Endpoints: []string{"http://127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	for _, tc := range []struct {
		members, timeouts, out int
	}{{3, 1, 1}, {3, 3, 1}, {5, 5, 2}, {2, 2, 0}, {1, 1, 0}} {
		var eps []string
		for i := range tc.members {
			eps = append(eps, fmt.Sprintf("http://127.0.0.1:%d", 10001+i))
		}
		left := etcdclient.LeaveOut(cli, eps, tc.timeouts)
		if got := tc.members - len(left); got != tc.out {
			t.Errorf("%d members, %d timed out: %d left out (%q in), want %d", tc.members, tc.timeouts, got, left, tc.out)
		}
		if latest := eps[tc.timeouts-1]; tc.out > 0 && slices.Contains(left, latest) {
			t.Errorf("%d members, %d timed out: %s, the latest, is in (%q)", tc.members, tc.timeouts, latest, left)
		}
	}
}
