package fleetlockd

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"locksmith.dev/locksmith/fleetlock"
	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

// syncBuffer is a log the server writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs Main on loopback ports against a real etcd until the test ends, and returns the
// base URLs of the FleetLock and the metrics listeners.
func start(t *testing.T, args ...string) (api, ops string) {
	t.Helper()
	srv := embedetcd.StartT(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan [2]net.Addr, 1)
	done := make(chan error, 1)
	var logs syncBuffer
	args = append([]string{"--listen-address=127.0.0.1:0", "--endpoint=" + strings.Join(srv.Endpoints(), ",")}, args...)
	go func() {
		done <- Main(ctx, args, envflag.MapLookup(nil), io.Discard, &logs, func(a, m net.Addr) { addrs <- [2]net.Addr{a, m} })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Main: %v\n%s", err, logs.String())
		}
	})
	select {
	case a := <-addrs:
		return "http://" + a[0].String(), "http://" + a[1].String()
	case err := <-done:
		t.Fatalf("Main ended early: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("Main did not start listening")
	}
	return "", ""
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The server answers FleetLock, health and metrics on one listener by default.
func TestServes(t *testing.T) {
	api, _ := start(t)
	c := &fleetlock.Client{URL: api, ID: "n1", Group: "default"}
	if _, err := c.TryLock(t.Context(), 0); err != nil {
		t.Fatalf("pre-reboot: %v", err)
	}
	if code, body := get(t, api+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	code, body := get(t, api+"/metrics")
	for _, want := range []string{
		`locksmith_fleetlock_requests_total{endpoint="pre-reboot",outcome="ok"} 1`,
		`locksmith_fleetlock_holders{group="default"} 1`,
		`locksmith_fleetlock_max{group="default"} 1`,
		"locksmith_fleetlock_request_duration_seconds_bucket",
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

// With --metrics-address, metrics and health move to their own listener.
func TestMetricsListener(t *testing.T) {
	api, ops := start(t, "--metrics-address=127.0.0.1:0", "--max-wait=0")
	if api == ops {
		t.Fatal("one listener for both")
	}
	if code, _ := get(t, ops+"/healthz"); code != 200 {
		t.Fatalf("/healthz on the metrics listener: %d", code)
	}
	if code, body := get(t, api+"/metrics"); code != 404 || !strings.Contains(body, fleetlock.KindNotFound) {
		t.Fatalf("/metrics on the FleetLock listener: %d %q, want FleetLock's 404", code, body)
	}
	// --max-wait=0: the extension is off, and the server says so by not granting it.
	c := &fleetlock.Client{URL: api, ID: "a", Group: "default"}
	if _, err := c.TryLock(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	waited, err := (&fleetlock.Client{URL: api, ID: "b", Group: "default"}).TryLock(t.Context(), time.Minute)
	if waited || !strings.Contains(err.Error(), fleetlock.KindSemaphoreFull) {
		t.Fatalf("long poll with the extension off: granted %v, %v", waited, err)
	}
}

// Bad configuration: exit 2, one line naming the flag.
func TestInvalid(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tt := range []struct {
		args []string
		vars map[string]string
		says string
	}{
		{[]string{"--listen-address=3333"}, nil, `--listen-address="3333": not a host:port address`},
		{[]string{"--listen-address=" + taken.Addr().String()}, nil, "--listen-address=\"" + taken.Addr().String() + "\": listen tcp"},
		{[]string{"--tls-cert-file=/x.pem"}, nil, "--tls-cert-file and --tls-key-file go together"},
		{[]string{"--client-ca-file=/ca.pem"}, nil, "client certificates need HTTPS"},
		{nil, map[string]string{"LOCKSMITH_FLEETLOCKD_CLAIM_TIMEOUT": "soon"}, "LOCKSMITH_FLEETLOCKD_CLAIM_TIMEOUT"},
		{[]string{"--claim-timeout=0s"}, nil, `--claim-timeout="0s": must be positive`},
		{[]string{"--log-level=loud"}, nil, `"debug", "info", "warn" or "error"`},
		{[]string{"--tls-cert-file=/absent.pem", "--tls-key-file=/absent-key.pem"}, nil, "--tls-cert-file/--tls-key-file"},
		{[]string{"extra"}, nil, `unexpected argument "extra"`},
	} {
		err := Main(t.Context(), tt.args, envflag.MapLookup(tt.vars), io.Discard, io.Discard, nil)
		if ExitCode(err) != 2 || !strings.Contains(err.Error(), tt.says) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Main(%q, %v) = %v (exit %d), want exit 2 saying %q on one line", tt.args, tt.vars, err, ExitCode(err), tt.says)
		}
	}
	var out bytes.Buffer
	if err := Main(t.Context(), []string{"--help"}, envflag.MapLookup(nil), &out, io.Discard, nil); ExitCode(err) != 0 ||
		!strings.Contains(out.String(), "LOCKSMITH_FLEETLOCKD_CLAIM_TIMEOUT") || !strings.Contains(out.String(), "--etcd-cafile") {
		t.Fatalf("--help: %v\n%s", err, out.String())
	}
}
