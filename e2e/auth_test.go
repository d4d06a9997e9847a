package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testbin"
	"locksmith.dev/locksmith/semaphore"
)

// The node role of the README: read and write on locksmith's prefix, nothing else. Leases need
// no permission of their own (revoking one needs write on the keys bound to it).
const nodeRole = "locksmith-node"

// TestRolloutWithLeastPrivilege enables etcd's authentication, gives every node its own etcd
// user holding only the node role, and rolls a reboot out to real locksmithd processes. Every
// node reboots, holders never exceed max, and a node's user can neither read nor write a key
// outside locksmith's prefix.
func TestRolloutWithLeastPrivilege(t *testing.T) {
	const nodes, max = 4, 2
	bin := testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmithd")
	srv := embedetcd.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), rolloutPatience)
	defer cancel()
	root := srv.ClientT(t)
	users := make([]string, nodes)
	for i := range users {
		users[i] = fmt.Sprintf("node%d", i)
	}
	enableAuth(ctx, t, root, users)
	admin := authClient(t, srv, "root", "root-secret")
	sem := semaphore.New(admin, group)
	t.Cleanup(func() { _ = sem.Close() })
	if _, err := sem.SetMax(ctx, max); err != nil {
		t.Fatal(err)
	}
	obs := startObserver(ctx, t, admin, group)

	// A node's user is confined to locksmith's prefix.
	nodeCli := authClient(t, srv, users[0], users[0]+"-secret")
	if _, err := nodeCli.Put(ctx, "coreos.com/updateengine/other", "x"); !denied(err) {
		t.Fatalf("a node wrote outside the prefix: %v", err)
	}
	if _, err := nodeCli.Get(ctx, "kubernetes/secret"); !denied(err) {
		t.Fatalf("a node read outside the prefix: %v", err)
	}
	if _, err := nodeCli.Get(ctx, semaphore.Key(group)); err != nil {
		t.Fatalf("a node cannot read its semaphore: %v", err)
	}

	fleetNodes := make([]*node, nodes)
	pace := newPacer()
	pace.openAll()
	ts := newTasks(ctx, t)
	for i := range fleetNodes {
		n := newNode(t, i, bin, srv.Endpoints(), group)
		password := filepath.Join(n.dir, "etcd-password")
		if err := os.WriteFile(password, []byte(users[i]+"-secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		n.args = append(n.args, "--etcd-username="+users[i], "--etcd-password-file="+password)
		fleetNodes[i] = n
		if err := n.startIdle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	serveAll(ts, obs, pace, fleetNodes)
	announce(t, fleetNodes)
	finishRollout(t, ts, obs, fleetNodes)
	res := obs.mon.Result()
	if r := res.Groups[0]; r.MaxConcurrent > max || len(res.Exceeded) > 0 || len(res.Problems) > 0 {
		t.Fatalf("monitor saw %d holders at most (max %d), over max %+v, problems %+v", r.MaxConcurrent, max, res.Exceeded, res.Problems)
	}
	for _, n := range fleetNodes {
		if out := n.out.String(); strings.Contains(out, "permission denied") {
			t.Errorf("%s was denied something it needs:\n%s", n.name, out)
		}
	}

	// The viewer role of the README reads the semaphore (locksmithctl status) and cannot change
	// it; the operator role can (set-max, unlock, repair).
	for role, perm := range map[string]clientv3.PermissionType{viewerRole: clientv3.PermissionType(clientv3.PermRead), operatorRole: clientv3.PermissionType(clientv3.PermReadWrite)} {
		if _, err := admin.RoleAdd(ctx, role); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.RoleGrantPermission(ctx, role, semaphore.KeyPrefix, clientv3.GetPrefixRangeEnd(semaphore.KeyPrefix), perm); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.UserAdd(ctx, role, role+"-secret"); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.UserGrantRole(ctx, role, role); err != nil {
			t.Fatal(err)
		}
	}
	viewer := semaphore.New(authClient(t, srv, viewerRole, viewerRole+"-secret"), group)
	defer viewer.Close()
	if _, err := viewer.Get(ctx); err != nil {
		t.Fatalf("the viewer cannot read the semaphore: %v", err)
	}
	if _, err := viewer.SetMax(ctx, 1); !denied(err) {
		t.Fatalf("the viewer changed max: %v", err)
	}
	operator := semaphore.New(authClient(t, srv, operatorRole, operatorRole+"-secret"), group)
	defer operator.Close()
	if old, err := operator.SetMax(ctx, 1); err != nil || old != max {
		t.Fatalf("the operator's set-max = %d, %v", old, err)
	}
}

// The read-only and the operator roles of the README.
const (
	viewerRole   = "locksmith-viewer"
	operatorRole = "locksmith-operator"
)

// enableAuth creates the node role, one user per name holding only it (password name-secret),
// and root, and enables authentication, as the README's etcdctl commands do.
func enableAuth(ctx context.Context, t *testing.T, c *clientv3.Client, users []string) {
	t.Helper()
	steps := []func() error{
		func() error { _, err := c.RoleAdd(ctx, nodeRole); return err },
		func() error {
			_, err := c.RoleGrantPermission(ctx, nodeRole, semaphore.KeyPrefix, clientv3.GetPrefixRangeEnd(semaphore.KeyPrefix), clientv3.PermissionType(clientv3.PermReadWrite))
			return err
		},
		func() error { _, err := c.UserAdd(ctx, "root", "root-secret"); return err },
		func() error { _, err := c.UserGrantRole(ctx, "root", "root"); return err },
	}
	for _, u := range users {
		steps = append(steps,
			func() error { _, err := c.UserAdd(ctx, u, u+"-secret"); return err },
			func() error { _, err := c.UserGrantRole(ctx, u, nodeRole); return err })
	}
	steps = append(steps, func() error { _, err := c.AuthEnable(ctx); return err })
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("etcd auth set-up, step %d: %v", i+1, err)
		}
	}
}

// authClient returns a client of srv that authenticates as user.
func authClient(t *testing.T, srv *embedetcd.Server, user, password string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: srv.Endpoints(), Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// denied reports whether err is, or wraps, etcd's permission denied.
func denied(err error) bool {
	return errors.Is(err, rpctypes.ErrPermissionDenied) || errors.Is(rpctypes.Error(err), rpctypes.ErrPermissionDenied)
}
