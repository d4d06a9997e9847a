package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/sim"
	"locksmith.dev/locksmith/internal/testkit/testbin"
)

func TestMain(m *testing.M) { testbin.Main(m) }

func TestMemoryOfTheRealDaemon(t *testing.T) {
	bin := testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmithd")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m, err := measureMemory(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	// A Go program with an etcd client is more than 1 MiB and far less
	// than 1 GiB resident; the figure itself is the benchmark's business.
	for name, kib := range map[string]int64{"idle": m.IdleKiB, "waiting": m.WaitingKiB} {
		if kib < 1024 || kib > 1024*1024 {
			t.Errorf("%s locksmithd: VmRSS %d KiB", name, kib)
		}
	}
}

func TestVmRSSOfThisProcess(t *testing.T) {
	kib, err := vmRSS(os.Getpid())
	if err != nil || kib <= 0 {
		t.Fatalf("vmRSS = %d, %v", kib, err)
	}
	if _, err := vmRSS(-1); err == nil {
		t.Fatal("vmRSS of no process succeeded")
	}
}

func TestScanFor(t *testing.T) {
	found := make(chan struct{})
	log := "level=INFO msg=starting state=starting\nlevel=INFO msg=\"idle\" state=idle\nlater\n"
	tail := scanFor(strings.NewReader(log), "state=idle", found)
	select {
	case <-found:
	default:
		t.Fatal("state=idle not found")
	}
	if !strings.HasSuffix(tail, "later") {
		t.Fatalf("tail %q", tail)
	}
	if tail := scanFor(strings.NewReader("state=idleness\n"), "state=idle-x", make(chan struct{})); tail != "state=idleness" {
		t.Fatalf("tail %q", tail)
	}
}

func TestSmallBenchmarkAsJSON(t *testing.T) {
	var stdout bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Run(ctx, []string{"--nodes", "3,6", "--max", "2", "--reboot-time", "100ms", "--json"}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Fleets) != 2 || res.Fleets[0].Nodes != 3 || res.Fleets[1].Nodes != 6 || res.Memory != nil {
		t.Fatalf("result %+v", res)
	}
	for _, f := range res.Fleets {
		if !f.Completed || f.Baseline == nil || !f.Baseline.Completed || f.EtcdRequestsPerReboot <= 0 {
			t.Errorf("%d nodes: %+v", f.Nodes, f)
		}
	}
	if err := Run(ctx, []string{"--nodes", "x"}, &stdout, &bytes.Buffer{}); !errors.Is(err, sim.ErrUsage) {
		t.Errorf("bad --nodes: %v", err)
	}
}
