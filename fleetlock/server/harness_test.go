package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"locksmith.dev/locksmith/fleetlock"
	"locksmith.dev/locksmith/fleetlock/server"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/internal/testkit/testlog"
	"locksmith.dev/locksmith/semaphore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// patience bounds every wait of a test; reaching it is a failure.
const patience = 30 * time.Second

// rig is a FleetLock server on a real embedded etcd, served over real HTTP on loopback.
type rig struct {
	t      *testing.T
	etcd   *clientv3.Client
	server *server.Server
	http   *httptest.Server
	logs   *testlog.Lines
}

func newRig(t *testing.T, cfg server.Config) *rig {
	t.Helper()
	srv := embedetcd.StartT(t)
	r := &rig{t: t, etcd: srv.ClientT(t), logs: &testlog.Lines{}}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(r.logs, nil))
	}
	r.server = server.New(r.etcd, cfg)
	r.http = httptest.NewServer(r.server.Handler())
	t.Cleanup(func() {
		r.http.Close()
		if err := r.server.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// ctx ends with the test or after patience.
func (r *rig) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	r.t.Cleanup(cancel)
	return ctx
}

// client returns a FleetLock client of the rig's server.
func (r *rig) client(id, group string) *fleetlock.Client {
	return &fleetlock.Client{URL: r.http.URL, ID: id, Group: group, HTTP: r.http.Client()}
}

// send posts body to path with the headers and returns the status and the error answered.
func (r *rig) send(method, path, body string, headers map[string]string) (int, fleetlock.Error) {
	r.t.Helper()
	req, err := http.NewRequestWithContext(r.ctx(), method, r.http.URL+path, strings.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := r.http.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e fleetlock.Error
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(b, &e); err != nil {
			r.t.Fatalf("%s %s: status %d with a body that is not a FleetLock error: %q", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, e
}

// raw returns the stored value of key and its mod revision (nil, 0 when absent).
func (r *rig) raw(key string) ([]byte, int64) {
	r.t.Helper()
	resp, err := r.etcd.Get(r.ctx(), key)
	if err != nil {
		r.t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return nil, 0
	}
	return resp.Kvs[0].Value, resp.Kvs[0].ModRevision
}

// sem returns a semaphore of the group (locksmith's name), closed with the test.
func (r *rig) sem(group string) *semaphore.Semaphore {
	s := semaphore.New(r.etcd, group)
	r.t.Cleanup(func() { _ = s.Close() })
	return s
}

// holders returns the holder ids of locksmith's group.
func (r *rig) holders(group string) []string {
	r.t.Helper()
	st, err := r.sem(group).Get(r.ctx())
	if err != nil {
		r.t.Fatal(err)
	}
	ids := make([]string, len(st.Holders))
	for i, h := range st.Holders {
		ids[i] = h.ID
	}
	return ids
}

// body is a FleetLock request body.
func body(id, group string) string {
	b, _ := json.Marshal(fleetlock.Request{ClientParams: fleetlock.ClientParams{ID: id, Group: group}})
	return string(b)
}

// proto is the protocol header.
var proto = map[string]string{fleetlock.HeaderProtocol: "true"}

// until waits, watching every key of locksmith's, until ok reports true; after patience it fails
// the test with what says.
func (r *rig) until(ok func() bool, says func() string) {
	r.t.Helper()
	ctx := r.ctx()
	for {
		resp, err := r.etcd.Get(ctx, "coreos.com/updateengine/rebootlock/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			r.t.Fatalf("%s: %v", says(), err)
		}
		if ok() {
			return
		}
		wctx, cancel := context.WithCancel(ctx)
		w := r.etcd.Watch(wctx, "coreos.com/updateengine/rebootlock/", clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))
		select {
		case <-w:
		case <-ctx.Done():
			cancel()
			r.t.Fatal(says())
		}
		cancel()
	}
}
