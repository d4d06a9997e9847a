package sim

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"locksmith.dev/locksmith/internal/sim/monitor"
	"locksmith.dev/locksmith/internal/testkit/reqcount"
)

// Report is the result of a simulation. Its JSON form is one object with
// the figures of the watch-mode run at the top level and, when the
// baseline ran, its figures under "baseline" and the ratios under
// "vs_baseline".
type Report struct {
	// Seed of the draws; the same seed and options draw the same fleet.
	Seed uint64 `json:"seed"`
	// TimeFactor is the factor used (see Options.TimeFactor).
	TimeFactor float64 `json:"time_factor"`
	// Etcd is "embedded" or the endpoints used.
	Etcd string `json:"etcd"`
	RunReport
	Baseline   *RunReport `json:"baseline,omitempty"`
	VsBaseline *Ratios    `json:"vs_baseline,omitempty"`
}

// RunReport is what one fleet run did. Times are real (wall-clock) time.
type RunReport struct {
	// Mode is ModeWatch or ModeBaseline.
	Mode   string `json:"mode"`
	Nodes  int    `json:"nodes"`
	Groups int    `json:"groups"`
	// Max is the number of slots of each group.
	Max           int     `json:"max"`
	RebootSeconds float64 `json:"reboot_seconds"`
	JitterSeconds float64 `json:"jitter_seconds"`
	// Completed is true when every node came back and released its slot,
	// or is one of the nodes drawn never to come back.
	Completed bool `json:"completed"`
	// Reboots is the number of reboots requested; NodesRebootedOnce the
	// nodes that rebooted exactly once; NodesFailed those that never came
	// back.
	Reboots           int `json:"reboots"`
	NodesRebootedOnce int `json:"nodes_rebooted_once"`
	NodesFailed       int `json:"nodes_failed"`
	// MakespanSeconds is the time from the announcement of the update to
	// every node (all at once) until the last node that came back
	// released its slot.
	MakespanSeconds float64 `json:"makespan_seconds"`
	// IdealSeconds is the makespan of a perfect coordinator: groups roll
	// out in parallel, each in ceil(nodes of the group / max) rounds of
	// RebootSeconds (the mean reboot time), so it is the largest
	// ceil(n/max) × reboot time over the groups.
	IdealSeconds  float64 `json:"ideal_seconds"`
	MakespanRatio float64 `json:"makespan_ratio"`
	// MaxConcurrentObserved is the most holders a group's semaphore had at
	// any revision, as seen by the independent monitor.
	MaxConcurrentObserved int `json:"max_concurrent_observed"`
	// MaxDownObserved is the most nodes of one group that were down (from
	// the reboot request until back up) at once, as seen by the nodes;
	// nodes that never come back count through their slot only.
	MaxDownObserved int `json:"max_down_observed"`
	// MaxExceeded is true if either figure above ever exceeded Max.
	MaxExceeded bool `json:"max_exceeded"`
	// Handoffs is the number of releases observed while a node waited;
	// the percentiles are of the time from such a release until the next
	// node held the slot.
	Handoffs     int     `json:"handoffs"`
	HandoffP50Ms float64 `json:"handoff_p50_ms"`
	HandoffP99Ms float64 `json:"handoff_p99_ms"`
	// FirstAcquireMs is the time from the announcement of the update to
	// the first slot taken, as seen by the monitor.
	FirstAcquireMs float64 `json:"first_acquire_ms"`
	// SlotOverheadP50Ms and SlotOverheadP99Ms are percentiles, over the
	// nodes that came back, of how much longer than its reboot a node held
	// its slot (monitor's acquire to release, minus the drawn reboot
	// time): the cost of taking the slot, stopping, booting, connecting
	// and releasing.
	SlotOverheadP50Ms float64 `json:"slot_overhead_p50_ms"`
	SlotOverheadP99Ms float64 `json:"slot_overhead_p99_ms"`
	// EtcdRequests counts the requests of every etcd client of the nodes
	// (unary calls and stream messages sent), from their first boot to
	// the end; per reboot it is divided by Reboots.
	EtcdRequests          int64   `json:"etcd_requests"`
	EtcdUnaryCalls        int64   `json:"etcd_unary_calls"`
	EtcdStreamMessages    int64   `json:"etcd_stream_messages"`
	EtcdRequestsPerReboot float64 `json:"etcd_requests_per_reboot"`
	// EtcdReceivedPerReboot is the number of stream messages (watch
	// events, keep-alive answers) the nodes received, per reboot: not
	// requests, but the fan-out of etcd's notifications.
	EtcdReceivedPerReboot float64 `json:"etcd_received_per_reboot"`
	// CPUSeconds is the CPU time this process (nodes, monitor and, when
	// embedded, etcd) used during the run.
	CPUSeconds float64 `json:"cpu_seconds"`
	// EtcdPerRebootByMethod breaks EtcdRequestsPerReboot down by gRPC
	// method, e.g. "KV/Txn" or "Lease/LeaseKeepAlive" (stream messages).
	EtcdPerRebootByMethod map[string]float64 `json:"etcd_per_reboot_by_method"`
	// FIFOViolations counts acquires that took a slot owed to a node that
	// started waiting earlier (see package monitor).
	FIFOViolations int `json:"fifo_violations"`
	// SlotsLeaked counts slots still held at the end of a completed run
	// by nodes that came back.
	SlotsLeaked int `json:"slots_leaked"`
	// MonitorComplete is false if the monitor missed revisions (etcd
	// compacted them before it saw them).
	MonitorComplete bool          `json:"monitor_complete"`
	PerGroup        []GroupReport `json:"per_group"`
}

// GroupReport is what one group did.
type GroupReport struct {
	Group                 string  `json:"group"`
	Nodes                 int     `json:"nodes"`
	IdealSeconds          float64 `json:"ideal_seconds"`
	MakespanSeconds       float64 `json:"makespan_seconds"`
	MaxConcurrentObserved int     `json:"max_concurrent_observed"`
	MaxDownObserved       int     `json:"max_down_observed"`
	Handoffs              int     `json:"handoffs"`
}

// Ratios compare the baseline with the watch-mode run: baseline figure
// divided by watch-mode figure (0 when the latter is 0).
type Ratios struct {
	Makespan              float64 `json:"makespan"`
	EtcdRequestsPerReboot float64 `json:"etcd_requests_per_reboot"`
	HandoffP50            float64 `json:"handoff_p50"`
	HandoffP99            float64 `json:"handoff_p99"`
}

// outcome is the raw result of a fleet run.
type outcome struct {
	mode      string
	completed bool
	nodes     []node // copies
	groups    []string
	start     time.Time
	lastDone  map[string]time.Time
	maxDown   map[string]int
	monitor   monitor.Result
	requests  reqcount.Counts
	byMethod  map[string]int64
	cpu       time.Duration
}

// outcome copies what the fleet recorded; end is when the run ended.
func (f *fleet) outcome(end time.Time) *outcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &outcome{mode: f.mode, completed: f.remaining == 0, groups: f.groups, start: f.start,
		lastDone: f.lastDone, maxDown: f.maxDown}
	for _, n := range f.nodes {
		out.nodes = append(out.nodes, *n)
	}
	return out
}

// runReport computes the figures of a run.
func runReport(o Options, out *outcome) RunReport {
	r := RunReport{
		Mode: out.mode, Nodes: o.Nodes, Groups: o.Groups, Max: o.Max,
		RebootSeconds: o.RebootTime.Seconds(), JitterSeconds: o.Jitter.Seconds(),
		Completed:    out.completed,
		EtcdRequests: out.requests.Requests(), EtcdUnaryCalls: out.requests.Unary, EtcdStreamMessages: out.requests.StreamMessages,
		FIFOViolations:  len(out.monitor.FIFO),
		CPUSeconds:      out.cpu.Seconds(),
		MonitorComplete: out.monitor.Complete(),
	}
	dead := map[string]bool{}
	perGroup := map[string]int{}
	for _, n := range out.nodes {
		perGroup[n.group]++
		r.Reboots += n.reboots
		if n.reboots == 1 {
			r.NodesRebootedOnce++
		}
		if n.phase == phaseFailed {
			r.NodesFailed++
			dead[n.id] = true
		}
	}
	for _, g := range out.groups {
		mr, _ := out.monitor.Group(g)
		gr := GroupReport{
			Group: g, Nodes: perGroup[g],
			IdealSeconds:          math.Ceil(float64(perGroup[g])/float64(o.Max)) * o.RebootTime.Seconds(),
			MaxConcurrentObserved: mr.MaxConcurrent, MaxDownObserved: out.maxDown[g], Handoffs: len(mr.Handoffs),
		}
		if t, ok := out.lastDone[g]; ok {
			gr.MakespanSeconds = t.Sub(out.start).Seconds()
		}
		r.PerGroup = append(r.PerGroup, gr)
		r.IdealSeconds = max(r.IdealSeconds, gr.IdealSeconds)
		r.MakespanSeconds = max(r.MakespanSeconds, gr.MakespanSeconds)
		r.MaxConcurrentObserved = max(r.MaxConcurrentObserved, gr.MaxConcurrentObserved)
		r.MaxDownObserved = max(r.MaxDownObserved, gr.MaxDownObserved)
		if out.completed {
			for _, id := range mr.Holders {
				if !dead[id] {
					r.SlotsLeaked++
				}
			}
		}
	}
	r.MaxExceeded = len(out.monitor.Exceeded) > 0 || r.MaxConcurrentObserved > o.Max || r.MaxDownObserved > o.Max
	r.MakespanRatio = ratio(r.MakespanSeconds, r.IdealSeconds)
	r.FirstAcquireMs, r.SlotOverheadP50Ms, r.SlotOverheadP99Ms = slotTimes(out)
	handoffs := out.monitor.Handoffs()
	r.Handoffs = len(handoffs)
	r.HandoffP50Ms = ms(percentile(handoffs, 50))
	r.HandoffP99Ms = ms(percentile(handoffs, 99))
	if r.Reboots > 0 {
		r.EtcdRequestsPerReboot = float64(r.EtcdRequests) / float64(r.Reboots)
		r.EtcdReceivedPerReboot = float64(out.requests.StreamReceived) / float64(r.Reboots)
		r.EtcdPerRebootByMethod = map[string]float64{}
		for m, n := range out.byMethod {
			r.EtcdPerRebootByMethod[strings.TrimPrefix(m, "/etcdserverpb.")] = float64(n) / float64(r.Reboots)
		}
	}
	return r
}

// slotTimes returns the time to the first acquire and the percentiles of
// the slot overhead, in milliseconds.
func slotTimes(out *outcome) (first, p50, p99 float64) {
	downFor := map[string]time.Duration{}
	for _, n := range out.nodes {
		if n.phase != phaseFailed {
			downFor[n.group+"\x00"+n.id] = n.downFor
		}
	}
	acquired := map[string]time.Time{}
	var overheads []time.Duration
	for _, e := range out.monitor.Events {
		k := e.Group + "\x00" + e.ID
		switch e.Kind {
		case monitor.Acquire:
			if first == 0 {
				first = ms(e.Time.Sub(out.start))
			}
			acquired[k] = e.Time
		case monitor.Release:
			d, ok := downFor[k]
			if at, held := acquired[k]; ok && held {
				overheads = append(overheads, e.Time.Sub(at)-d)
			}
		}
	}
	slices.Sort(overheads)
	return first, ms(percentile(overheads, 50)), ms(percentile(overheads, 99))
}

// compare returns the ratios of baseline to watch.
func compare(watch, baseline RunReport) *Ratios {
	return &Ratios{
		Makespan:              ratio(baseline.MakespanSeconds, watch.MakespanSeconds),
		EtcdRequestsPerReboot: ratio(baseline.EtcdRequestsPerReboot, watch.EtcdRequestsPerReboot),
		HandoffP50:            ratio(baseline.HandoffP50Ms, watch.HandoffP50Ms),
		HandoffP99:            ratio(baseline.HandoffP99Ms, watch.HandoffP99Ms),
	}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// percentile returns the nearest-rank p-th percentile of sorted, 0 if it
// is empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// writeText prints r for people.
func (r Report) writeText(w io.Writer) error {
	runs := []RunReport{r.RunReport}
	heads := []string{"watch (FIFO)"}
	if r.Baseline != nil {
		runs = append(runs, *r.Baseline)
		heads = append(heads, "locksmith-style", "baseline/watch")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "locksmith-sim: %d nodes in %d group(s), max %d, reboot %s ±%s, time factor %g, seed %d, etcd %s\n\n",
		r.Nodes, r.Groups, r.Max, secs(r.RebootSeconds), secs(r.JitterSeconds), r.TimeFactor, r.Seed, r.Etcd)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	row := func(name string, cell func(RunReport) string, rat func(*Ratios) float64) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, run := range runs {
			fmt.Fprintf(tw, "%s\t", cell(run))
		}
		if r.VsBaseline != nil {
			if rat != nil {
				fmt.Fprintf(tw, "%.2f×\t", rat(r.VsBaseline))
			} else {
				fmt.Fprint(tw, "\t")
			}
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "\t%s\t\n", strings.Join(heads, "\t"))
	row("makespan", func(x RunReport) string { return secs(x.MakespanSeconds) }, func(x *Ratios) float64 { return x.Makespan })
	row("ideal", func(x RunReport) string { return secs(x.IdealSeconds) }, nil)
	row("makespan / ideal", func(x RunReport) string { return fmt.Sprintf("%.3f", x.MakespanRatio) }, nil)
	row(fmt.Sprintf("most nodes down at once (max %d)", r.Max), func(x RunReport) string { return fmt.Sprint(x.MaxDownObserved) }, nil)
	row("most slot holders seen by the monitor", func(x RunReport) string { return fmt.Sprint(x.MaxConcurrentObserved) }, nil)
	row("handoff p50", func(x RunReport) string { return msText(x.HandoffP50Ms, x.Handoffs) }, func(x *Ratios) float64 { return x.HandoffP50 })
	row("handoff p99", func(x RunReport) string { return msText(x.HandoffP99Ms, x.Handoffs) }, func(x *Ratios) float64 { return x.HandoffP99 })
	row("first slot taken after", func(x RunReport) string { return fmt.Sprintf("%.1f ms", x.FirstAcquireMs) }, nil)
	row("slot held beyond the reboot p50", func(x RunReport) string { return fmt.Sprintf("%.1f ms", x.SlotOverheadP50Ms) }, nil)
	row("slot held beyond the reboot p99", func(x RunReport) string { return fmt.Sprintf("%.1f ms", x.SlotOverheadP99Ms) }, nil)
	row("etcd requests per reboot", func(x RunReport) string { return fmt.Sprintf("%.1f", x.EtcdRequestsPerReboot) },
		func(x *Ratios) float64 { return x.EtcdRequestsPerReboot })
	row("FIFO violations", func(x RunReport) string { return fmt.Sprint(x.FIFOViolations) }, nil)
	row("nodes rebooted once / failed", func(x RunReport) string { return fmt.Sprintf("%d / %d", x.NodesRebootedOnce, x.NodesFailed) }, nil)
	row("slots leaked", func(x RunReport) string { return fmt.Sprint(x.SlotsLeaked) }, nil)
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	for _, run := range runs {
		switch {
		case run.MaxExceeded:
			fmt.Fprintf(&b, "FAIL (%s): more than %d nodes of a group were down or held slots at once.\n", run.Mode, r.Max)
		case !run.Completed:
			fmt.Fprintf(&b, "INCOMPLETE (%s): the rollout did not finish.\n", run.Mode)
		case run.SlotsLeaked > 0:
			fmt.Fprintf(&b, "FAIL (%s): %d slots are still held by nodes that came back.\n", run.Mode, run.SlotsLeaked)
		default:
			fmt.Fprintf(&b, "OK (%s): never more than %d nodes of a group down at once; every node rebooted.\n", run.Mode, r.Max)
		}
		if !run.MonitorComplete {
			fmt.Fprintf(&b, "note (%s): etcd compacted revisions the monitor had not seen; its figures are partial.\n", run.Mode)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

func msText(v float64, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f ms", v)
}
