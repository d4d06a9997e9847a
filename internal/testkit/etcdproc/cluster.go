package etcdproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/internal/testkit/testbin"
)

// Cluster is an etcd cluster of member processes on loopback.
type Cluster struct {
	tb      testing.TB
	bin     string
	members []*member
	initial string
}

type member struct {
	name, dir, clientURL, peerURL string
	cmd                           *exec.Cmd
	exited                        chan struct{}
}

// StartCluster starts an n-member cluster, waits until every member serves
// clients, and stops it when the test ends.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c := &Cluster{tb: tb, bin: testbin.Build(tb, "locksmith.dev/locksmith/internal/testkit/etcdproc/cmd/etcd-member")}
	base := tb.TempDir()
	addrs := freeAddrs(tb, 2*n)
	var peers []string
	for i := range n {
		m := &member{
			name:      fmt.Sprintf("m%d", i),
			dir:       filepath.Join(base, fmt.Sprintf("m%d", i)),
			clientURL: "http://" + addrs[2*i],
			peerURL:   "http://" + addrs[2*i+1],
		}
		c.members = append(c.members, m)
		peers = append(peers, m.name+"="+m.peerURL)
	}
	c.initial = strings.Join(peers, ",")
	tb.Cleanup(c.close)
	ready := make(chan error, n)
	for i := range c.members {
		go func() { ready <- c.start(i, "new") }()
	}
	// Every start is waited for, so that none is still setting up its
	// member when a failure makes the clean-up stop them.
	var errs []error
	for range c.members {
		errs = append(errs, <-ready)
	}
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	return c
}

// Endpoints returns every member's client URL, in member order.
func (c *Cluster) Endpoints() []string {
	eps := make([]string, len(c.members))
	for i, m := range c.members {
		eps[i] = m.clientURL
	}
	return eps
}

// Client returns a client of the whole cluster, made as locksmith makes
// its clients (with keep-alive pings, so that it leaves a frozen member),
// closed when the test ends.
func (c *Cluster) Client(tb testing.TB) *clientv3.Client {
	tb.Helper()
	cli, err := etcdclient.New(etcdclient.Config{Endpoints: c.Endpoints()})
	if err != nil {
		tb.Fatalf("etcd cluster client: %v", err)
	}
	tb.Cleanup(func() { _ = cli.Close() })
	return cli
}

// Leader returns the index of the leader, asking each member whether it
// is the leader. It fails when no reachable member is.
func (c *Cluster) Leader(ctx context.Context) (int, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return -1, err
	}
	defer cli.Close()
	var errs []error
	for i, m := range c.members {
		if m.cmd == nil {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := cli.Status(sctx, m.clientURL)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if st.Header.MemberId == st.Leader {
			return i, nil
		}
	}
	return -1, fmt.Errorf("find etcd leader: no reachable member is leader: %w", errors.Join(errs...))
}

// Kill sends SIGKILL to member i and waits until it has exited.
func (c *Cluster) Kill(i int) {
	m := c.members[i]
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.exited
	m.cmd = nil
}

// Restart starts member i again on its old data directory and waits until
// it serves clients.
func (c *Cluster) Restart(i int) {
	c.tb.Helper()
	if err := c.start(i, "existing"); err != nil {
		c.tb.Fatal(err)
	}
}

// KillAll sends SIGKILL to every member and waits until they have exited.
func (c *Cluster) KillAll() {
	for i := range c.members {
		c.Kill(i)
	}
}

// RestartAll starts every member that is not running again, at once (a member of an existing
// cluster is ready only once a quorum is back), waits until they serve clients and returns the
// time at which each got ready, in member order (zero for those that were running).
func (c *Cluster) RestartAll() []time.Time {
	c.tb.Helper()
	ready := make([]time.Time, len(c.members))
	errs := make(chan error, len(c.members))
	started := 0
	for i, m := range c.members {
		if m.cmd != nil {
			continue
		}
		started++
		go func() {
			err := c.start(i, "existing")
			ready[i] = time.Now()
			errs <- err
		}()
	}
	var all []error
	for range started {
		all = append(all, <-errs)
	}
	if err := errors.Join(all...); err != nil {
		c.tb.Fatal(err)
	}
	return ready
}

// AvoidLeader makes sure that member i is not the leader: if it is, it asks it to hand the
// leadership over to the next member, and returns the index of the leader.
func (c *Cluster) AvoidLeader(ctx context.Context, i int) (int, error) {
	leader, err := c.Leader(ctx)
	if err != nil || leader != i {
		return leader, err
	}
	to := (i + 1) % len(c.members)
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{c.members[i].clientURL}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return -1, err
	}
	defer cli.Close()
	st, err := cli.Status(ctx, c.members[to].clientURL)
	if err != nil {
		return -1, fmt.Errorf("status of etcd member %d: %w", to, err)
	}
	if _, err := cli.MoveLeader(ctx, st.Header.MemberId); err != nil {
		return -1, fmt.Errorf("move the etcd leadership from member %d to %d: %w", i, to, err)
	}
	return to, nil
}

// Stop freezes member i with SIGSTOP.
func (c *Cluster) Stop(i int) { c.signal(i, syscall.SIGSTOP) }

// Cont resumes member i with SIGCONT.
func (c *Cluster) Cont(i int) { c.signal(i, syscall.SIGCONT) }

func (c *Cluster) signal(i int, s syscall.Signal) {
	if m := c.members[i]; m.cmd != nil {
		if err := m.cmd.Process.Signal(s); err != nil {
			c.tb.Errorf("signal member %d: %v", i, err)
		}
	}
}

func (c *Cluster) start(i int, state string) error {
	m := c.members[i]
	cmd := exec.Command(c.bin, "-name", m.name, "-dir", m.dir, "-client-url", m.clientURL,
		"-peer-url", m.peerURL, "-initial-cluster", c.initial, "-state", state)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start etcd member %s: %w", m.name, err)
	}
	m.cmd, m.exited = cmd, make(chan struct{})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		_ = cmd.Wait()
		close(m.exited)
	}()
	timer := time.NewTimer(2 * time.Minute)
	defer timer.Stop()
	select {
	case l := <-lines:
		if l != "ready" {
			return fmt.Errorf("etcd member %s: unexpected output %q", m.name, l)
		}
		return nil
	case <-m.exited:
		return fmt.Errorf("etcd member %s exited before it was ready", m.name)
	case <-timer.C:
		return fmt.Errorf("etcd member %s not ready after 2m", m.name)
	}
}

func (c *Cluster) close() {
	for _, m := range c.members {
		if m.cmd == nil {
			continue
		}
		_ = m.cmd.Process.Signal(syscall.SIGCONT)
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.exited:
		case <-time.After(10 * time.Second):
			_ = m.cmd.Process.Kill()
			<-m.exited
		}
	}
}

// freeAddrs returns n distinct loopback addresses with ports that were
// free a moment ago: all are held open until all are chosen, so that the
// kernel cannot hand out one port twice.
func freeAddrs(tb testing.TB, n int) []string {
	tb.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer l.Close()
		addrs[i] = l.Addr().String()
	}
	return addrs
}
