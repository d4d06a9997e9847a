package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
	"locksmith.dev/locksmith/semaphore"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// small returns the options of a small, quick fleet on the shared etcd.
func small(t *testing.T) Options {
	o := Defaults()
	o.Nodes, o.Groups, o.Max = 6, 2, 2
	o.RebootTime, o.Jitter = 200*time.Millisecond, 50*time.Millisecond
	o.Endpoints = embedetcd.StartT(t).Endpoints()
	o.GroupPrefix = strings.ReplaceAll(t.Name(), "/", "-")
	o.Seed = 1
	o.Quiet = true
	return o
}

// checkRun asserts what every completed run must show.
func checkRun(t *testing.T, r RunReport, o Options) {
	t.Helper()
	if !r.Completed || r.MaxExceeded || r.SlotsLeaked != 0 || !r.MonitorComplete {
		t.Errorf("%s run: completed %v, max exceeded %v, slots leaked %d, monitor complete %v",
			r.Mode, r.Completed, r.MaxExceeded, r.SlotsLeaked, r.MonitorComplete)
	}
	if r.Reboots != o.Nodes || r.NodesRebootedOnce != o.Nodes {
		t.Errorf("%s run: %d reboots, %d nodes rebooted once; want %d each", r.Mode, r.Reboots, r.NodesRebootedOnce, o.Nodes)
	}
	if r.MaxDownObserved < 1 || r.MaxDownObserved > o.Max || r.MaxConcurrentObserved < 1 || r.MaxConcurrentObserved > o.Max {
		t.Errorf("%s run: %d down, %d holders at most; want between 1 and %d", r.Mode, r.MaxDownObserved, r.MaxConcurrentObserved, o.Max)
	}
	// No rollout can be faster than its shortest reboot.
	if min := (o.RebootTime - o.Jitter).Seconds(); r.MakespanSeconds < min {
		t.Errorf("%s run: makespan %gs shorter than the shortest reboot %gs", r.Mode, r.MakespanSeconds, min)
	}
	if r.EtcdRequestsPerReboot <= 0 || r.EtcdPerRebootByMethod["KV/Txn"] <= 0 {
		t.Errorf("%s run: %g etcd requests per reboot (%v)", r.Mode, r.EtcdRequestsPerReboot, r.EtcdPerRebootByMethod)
	}
	if len(r.PerGroup) != o.Groups {
		t.Errorf("%s run: %d groups reported, want %d", r.Mode, len(r.PerGroup), o.Groups)
	}
}

func TestSmallFleetRebootsEveryNodeOnceWithinMax(t *testing.T) {
	o := small(t)
	rep, err := Simulate(testCtx(t), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, rep.RunReport, o)
	// Watch mode: every node that waited was served in order, and with
	// 3 nodes per group and 2 slots somebody waited.
	if rep.FIFOViolations != 0 {
		t.Errorf("watch run: %d FIFO violations", rep.FIFOViolations)
	}
	if rep.Handoffs < 1 {
		t.Errorf("watch run: no handoff observed")
	}
	if rep.Baseline == nil || rep.VsBaseline == nil {
		t.Fatal("no baseline in the report")
	}
	checkRun(t, *rep.Baseline, o)
	if want := 0.4; rep.IdealSeconds != want || rep.Baseline.IdealSeconds != want {
		t.Errorf("ideal %g and %g, want %g (2 rounds of 200ms)", rep.IdealSeconds, rep.Baseline.IdealSeconds, want)
	}
}

func TestTimelineDrawsEveryNodesReboot(t *testing.T) {
	o := small(t)
	o.Baseline = false
	o.Timeline = filepath.Join(t.TempDir(), "rollout.svg")
	if _, err := Simulate(testCtx(t), o, io.Discard); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(o.Timeline)
	if err != nil {
		t.Fatal(err)
	}
	// Each node waits or not, but every one holds a slot and goes down once.
	if holding, down := strings.Count(string(svg), `class="holding"`), strings.Count(string(svg), `class="down"`); holding != o.Nodes || down != o.Nodes {
		t.Errorf("timeline with %d holding and %d down bars, want %d each", holding, down, o.Nodes)
	}
}

func TestJSONReport(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"--nodes", "4", "--max", "1", "--reboot-time", "100ms", "--jitter", "0", "--json", "--seed", "7",
		"--endpoint", strings.Join(embedetcd.StartT(t).Endpoints(), ","), "--group-prefix", t.Name()}
	if err := Run(testCtx(t), args, &stdout, &stderr); err != nil {
		t.Fatalf("Run: %v\nstderr: %s", err, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
	}
	for _, k := range []string{"nodes", "max", "makespan_seconds", "ideal_seconds", "makespan_ratio", "max_concurrent_observed",
		"handoff_p50_ms", "handoff_p99_ms", "etcd_requests_per_reboot", "fifo_violations", "baseline", "vs_baseline", "seed"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON has no %q", k)
		}
	}
	num := func(k string) float64 { v, _ := got[k].(float64); return v }
	if num("nodes") != 4 || num("max") != 1 || num("seed") != 7 || num("ideal_seconds") != 0.4 || num("time_factor") != 600 {
		t.Errorf("nodes %v, max %v, seed %v, ideal %v, time factor %v; want 4, 1, 7, 0.4, 600",
			got["nodes"], got["max"], got["seed"], got["ideal_seconds"], got["time_factor"])
	}
	if r := num("makespan_seconds") / num("ideal_seconds"); num("makespan_ratio") != r || r < 0.9 {
		t.Errorf("makespan ratio %v, makespan %v, ideal %v", got["makespan_ratio"], got["makespan_seconds"], got["ideal_seconds"])
	}
	if num("max_concurrent_observed") != 1 || num("fifo_violations") != 0 {
		t.Errorf("max concurrent %v, FIFO violations %v; want 1 and 0", got["max_concurrent_observed"], got["fifo_violations"])
	}
	// 4 nodes, 1 slot: each of the first three releases is handed to a
	// waiting node.
	if num("handoffs") != 3 || num("handoff_p50_ms") <= 0 || num("handoff_p99_ms") < num("handoff_p50_ms") {
		t.Errorf("handoffs %v, p50 %v, p99 %v", got["handoffs"], got["handoff_p50_ms"], got["handoff_p99_ms"])
	}
	if num("etcd_requests_per_reboot") <= 0 {
		t.Errorf("etcd requests per reboot %v", got["etcd_requests_per_reboot"])
	}
	b, _ := got["baseline"].(map[string]any)
	if b["mode"] != ModeBaseline || b["nodes"] != 4.0 || b["completed"] != true {
		t.Errorf("baseline %v", b)
	}
	if v, _ := got["vs_baseline"].(map[string]any); v["makespan"] == nil || v["makespan"].(float64) <= 0 {
		t.Errorf("vs_baseline %v", got["vs_baseline"])
	}
	if stderr.Len() == 0 {
		t.Error("no progress on stderr")
	}
}

func TestTextReport(t *testing.T) {
	var stdout bytes.Buffer
	args := []string{"--nodes", "2", "--max", "1", "--reboot-time", "100ms", "--baseline=false", "--quiet",
		"--endpoint", strings.Join(embedetcd.StartT(t).Endpoints(), ","), "--group-prefix", t.Name()}
	if err := Run(testCtx(t), args, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"makespan", "handoff p99", "etcd requests per reboot", "OK (watch)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), "locksmith-style") {
		t.Errorf("report shows a baseline that did not run:\n%s", stdout.String())
	}
}

// seedWithFailures returns a seed for which some but not all nodes of o
// never come back.
func seedWithFailures(t *testing.T, o Options) uint64 {
	for seed := uint64(1); seed < 1000; seed++ {
		f, err := newFleet(o, ModeWatch, seed, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		dead := 0
		for _, n := range f.nodes {
			if n.dies {
				dead++
			}
		}
		if dead > 0 && dead < o.Nodes-1 {
			return seed
		}
	}
	t.Fatal("no seed draws failures")
	return 0
}

func TestFailedNodesSlotsAreRecoveredWithLockTTL(t *testing.T) {
	o := small(t)
	o.Groups, o.Max = 1, 1
	o.FailureRate = 0.4
	// Far longer than any reboot (at most 250ms) and the work around it:
	// only the slots of nodes that never came back may turn stale.
	o.LockTTL = 2 * time.Second
	o.Baseline = false
	o.Seed = seedWithFailures(t, o)
	rep, err := Simulate(testCtx(t), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.RunReport
	if !r.Completed || r.MaxExceeded || r.SlotsLeaked != 0 {
		t.Errorf("completed %v, max exceeded %v, slots leaked %d", r.Completed, r.MaxExceeded, r.SlotsLeaked)
	}
	if r.NodesFailed == 0 || r.Reboots != o.Nodes || r.NodesRebootedOnce != o.Nodes {
		t.Errorf("%d failed, %d reboots, %d rebooted once; want some failed and %d reboots", r.NodesFailed, r.Reboots, r.NodesRebootedOnce, o.Nodes)
	}
}

func TestInjectedViolationsAreDetected(t *testing.T) {
	o := small(t)
	o.Groups, o.Baseline = 1, false
	// Once the fleet is done: a value with more holders than max, then
	// waiter b taking the slot ahead of waiter a; then all is cleaned up.
	inject := func(ctx context.Context, cli *clientv3.Client, groups []string) error {
		key := semaphore.Key(groups[0])
		for _, step := range []struct {
			ops []clientv3.Op
		}{
			{[]clientv3.Op{clientv3.OpPut(key, `{"semaphore":-1,"max":2,"holders":["x","y","z"]}`)}},
			{[]clientv3.Op{clientv3.OpPut(key, `{"semaphore":0,"max":1,"holders":["h"]}`)}},
			{[]clientv3.Op{clientv3.OpPut(key+"/waiters/1-1", "a")}},
			{[]clientv3.Op{clientv3.OpPut(key+"/waiters/2-1", "b")}},
			{[]clientv3.Op{clientv3.OpPut(key, `{"semaphore":1,"max":1,"holders":[]}`)}},
			{[]clientv3.Op{clientv3.OpPut(key, `{"semaphore":0,"max":1,"holders":["b"]}`), clientv3.OpDelete(key + "/waiters/2-1")}},
			{[]clientv3.Op{clientv3.OpPut(key, `{"semaphore":2,"max":2,"holders":[]}`), clientv3.OpDelete(key + "/waiters/1-1")}},
		} {
			if _, err := cli.Txn(ctx).Then(step.ops...).Commit(); err != nil {
				return err
			}
		}
		return nil
	}
	rep, err := simulate(testCtx(t), o, io.Discard, inject)
	if !errors.Is(err, ErrMaxExceeded) {
		t.Fatalf("Simulate = %v, want ErrMaxExceeded", err)
	}
	if rep == nil || !rep.MaxExceeded || rep.MaxConcurrentObserved != 3 || rep.FIFOViolations != 1 {
		t.Fatalf("report %+v, want max exceeded with 3 holders and one FIFO violation", rep)
	}
	if errors.Is(err, ErrIncomplete) || errors.Is(err, ErrSlotsLeaked) {
		t.Fatalf("Simulate = %v: the fleet itself was fine", err)
	}
}

func TestWindowIsWired(t *testing.T) {
	o := small(t)
	o.Baseline = false
	o.StartAt = time.Date(2026, 1, 5, 5, 0, 0, 0, time.UTC) // a Monday, 05:00
	o.Window = "04:00 1h"                                   // next opens in 23 simulated hours
	o.Timeout = time.Second
	rep, err := Simulate(testCtx(t), o, io.Discard)
	if !errors.Is(err, ErrIncomplete) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("Simulate with a closed window = %v, want ErrIncomplete and ErrTimeout", err)
	}
	if rep.Reboots != 0 || rep.MaxConcurrentObserved != 0 {
		t.Fatalf("%d reboots and %d holders while the window was closed", rep.Reboots, rep.MaxConcurrentObserved)
	}

	o.GroupPrefix += "-open"
	o.Window = "04:00 2h" // open
	o.Timeout = 0
	rep, err = Simulate(testCtx(t), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, rep.RunReport, o)
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--nodes", "0"}, {"--max", "-1"}, {"--groups", "20"}, {"--jitter", "2s"}, {"--failure-rate", "1"},
		{"--window", "25:00 1h"}, {"--window-start", "04:00"}, {"--window", "04:00 1h", "--window-start", "04:00", "--window-length", "1h"},
		{"--start-at", "yesterday"}, {"--log-level", "loud"}, {"extra"}, {"--no-such-flag"}, {"--endpoint", "foo"},
	} {
		err := Run(context.Background(), args, io.Discard, io.Discard)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("Run(%q) = %v, want ErrUsage", args, err)
		}
	}
	var stderr bytes.Buffer
	if err := Run(context.Background(), []string{"--help"}, io.Discard, &stderr); err != nil || !strings.Contains(stderr.String(), "--reboot-time") {
		t.Errorf("--help: %v, usage %q", err, stderr.String())
	}
}

func TestBadEndpointIsAUsageError(t *testing.T) {
	err := Run(context.Background(), []string{"--endpoint", "http://127.0.0.1:2379,foo"}, io.Discard, io.Discard)
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "--endpoint") || !strings.Contains(err.Error(), `"foo"`) {
		t.Fatalf("Run --endpoint foo = %v, want a usage error naming --endpoint and foo", err)
	}
}

func TestUnreachableEtcdIsReported(t *testing.T) {
	err := Run(testCtx(t), []string{"--endpoint", "http://127.0.0.1:1", "--timeout", "300ms", "--quiet"}, io.Discard, io.Discard)
	if err == nil || errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "in etcd at http://127.0.0.1:1: context deadline exceeded") {
		t.Fatalf("Run with an unreachable etcd = %v", err)
	}
}

// groupKeys returns the keys of every group whose name starts with prefix.
func groupKeys(t *testing.T, cli *clientv3.Client, prefix string) []string {
	t.Helper()
	resp, err := cli.Get(t.Context(), strings.TrimSuffix(semaphore.Key(prefix), "/semaphore"), clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, kv := range resp.Kvs {
		keys = append(keys, string(kv.Key))
	}
	return keys
}

// A run on a cluster given by --endpoint deletes the keys of its groups at
// the end, and refuses to start while keys of its groups are there.
func TestExternalEtcdIsLeftClean(t *testing.T) {
	srv := embedetcd.StartT(t)
	cli := srv.ClientT(t)
	ep := strings.Join(srv.Endpoints(), ",")
	args := []string{"--nodes", "3", "--groups", "2", "--max", "1", "--reboot-time", "100ms", "--quiet", "--endpoint", ep}
	for range 2 { // the second run meets no key of the first
		if err := Run(testCtx(t), args, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		if keys := groupKeys(t, cli, "locksmith-sim"); len(keys) > 0 {
			t.Fatalf("keys left after the run: %q", keys)
		}
	}

	// A run that fails (its window never opens) cleans up too.
	closed := append([]string{"--window", "04:00 1h", "--start-at", "2026-01-05T05:00:00Z", "--timeout", "1s"}, args...)
	if err := Run(testCtx(t), closed, io.Discard, io.Discard); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run with a closed window = %v, want ErrTimeout", err)
	}
	if keys := groupKeys(t, cli, "locksmith-sim"); len(keys) > 0 {
		t.Fatalf("keys left after a failed run: %q", keys)
	}

	// A key under a group of the run, as a killed run leaves it.
	left := semaphore.Key("locksmith-sim-baseline-2") + "/waiters/1-1"
	if _, err := cli.Put(t.Context(), left, "node-0002"); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	err := Run(testCtx(t), args, &stdout, io.Discard)
	if !errors.Is(err, ErrGroupInUse) || errors.Is(err, ErrUsage) {
		t.Fatalf("Run with a key left = %v, want ErrGroupInUse", err)
	}
	want := "etcdctl --endpoints=" + ep + " del --prefix " + semaphore.Key("locksmith-sim-baseline-2")
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `group "locksmith-sim-baseline-2" has 1 keys`) {
		t.Errorf("error %q does not say which group and %q", err, want)
	}
	if stdout.Len() != 0 {
		t.Errorf("a report was printed: %s", stdout.String())
	}
	// The refused run deletes nothing, and the watch run before it left
	// nothing.
	if keys := groupKeys(t, cli, "locksmith-sim"); len(keys) != 1 || keys[0] != left {
		t.Errorf("keys after the refused run: %q, want only %s", keys, left)
	}
}

func TestGroupInUseIsRefused(t *testing.T) {
	o := small(t)
	o.Groups = 1
	ctx := testCtx(t)
	cli, err := clientv3.New(clientv3.Config{Endpoints: o.Endpoints})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	sem := semaphore.New(cli, o.GroupPrefix+"-watch-1")
	if err := sem.TryAcquire(ctx, semaphore.Holder{ID: "someone"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Simulate(ctx, o, io.Discard); !errors.Is(err, ErrGroupInUse) {
		t.Fatalf("Simulate on a group in use = %v, want ErrGroupInUse", err)
	}
}

// A mixed fleet: etcd nodes, FleetLock nodes that long-poll and FleetLock nodes that poll like
// Zincati share one semaphore per group; the independent monitor never sees more holders than
// max, and every node reboots once.
func TestMixedFleetSharesOneSemaphore(t *testing.T) {
	o := small(t)
	o.Nodes, o.Groups, o.Max, o.FleetLockNodes, o.Baseline = 12, 2, 2, 8, false
	rep, err := Simulate(testCtx(t), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, rep.RunReport, o)
}
