package e2e_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testbin"
	"locksmith.dev/locksmith/semaphore"
)

// rig is what a rollout on an embedded etcd needs: the built binaries, the server, an admin
// client and a context bounded by rolloutPatience.
type rig struct {
	bin, ctlBin string
	srv         *embedetcd.Server
	admin       *clientv3.Client
	ctx         context.Context
}

// newRig builds locksmithd and locksmithctl, starts etcd and sets the group's max.
func newRig(t *testing.T, max int) *rig {
	t.Helper()
	r := &rig{bin: testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmithd"),
		ctlBin: testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmithctl"), srv: embedetcd.StartT(t)}
	ctx, cancel := context.WithTimeout(context.Background(), rolloutPatience)
	t.Cleanup(cancel)
	r.ctx, r.admin = ctx, r.srv.ClientT(t)
	sem := semaphore.New(r.admin, group)
	t.Cleanup(func() { _ = sem.Close() })
	if _, err := sem.SetMax(ctx, max); err != nil {
		t.Fatal(err)
	}
	return r
}

// ctl runs locksmithctl on the group and returns its output, failing the test if it fails.
func (r *rig) ctl(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, r.ctlBin, append([]string{"--endpoint=" + strings.Join(r.srv.Endpoints(), ","), "--group=" + group}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("locksmithctl %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
