package etcdclient_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/internal/testkit/etcdproc"
)

// A member that lets a request time out (here frozen with SIGSTOP) is left out of the client's
// endpoints at once, so that the requests that follow all go to the others; it is back after
// the quarantine.
func TestFrozenMemberIsLeftOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-member etcd cluster")
	}
	etcdclient.SetQuarantine(t, 2*time.Second)
	cluster := etcdproc.StartCluster(t, 3)
	cli, err := etcdclient.New(etcdclient.Config{Endpoints: cluster.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	leftOut(t, cluster, cli.Endpoints, func(ctx context.Context) error { _, err := cli.Get(ctx, "k"); return err })
}

// leftOut freezes a follower, sends requests until one times out, and checks that the
// endpoints leave the follower out until the quarantine ends.
func leftOut(t *testing.T, cluster *etcdproc.Cluster, endpoints func() []string, send func(context.Context) error) {
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
	frozen := cluster.Endpoints()[member]
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
