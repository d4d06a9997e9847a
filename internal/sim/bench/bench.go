package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/internal/sim"
)

// Result is what the benchmark measured.
type Result struct {
	Machine string `json:"machine"`
	// Fleets has one report per fleet size, baseline included.
	Fleets []*sim.Report `json:"fleets"`
	// Memory is nil when no locksmithd binary was given.
	Memory *Memory `json:"memory,omitempty"`
}

// Run runs the benchmark with the command line args (without "bench"):
// the fleet sizes, then the memory of locksmithd. It prints the figures on
// stdout as tables (or, with --json, as one JSON object) and the progress
// on stderr. It returns an error wrapping sim.ErrUsage for a bad command
// line, or the first error of a measurement (a fleet run that failed its
// checks is printed and reported as an error at the end).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("locksmith-sim bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.IntSlice("nodes", []int{10, 100, 1000}, "fleet sizes")
	maxSlots := fs.Int("max", 5, "slots per group, the same for every size")
	reboot := fs.Duration("reboot-time", 200*time.Millisecond, "simulated reboot time (±20% jitter); the time factor makes it stand for one minute")
	seed := fs.Uint64("seed", 1, "seed of the draws")
	locksmithd := fs.String("locksmithd", "", "locksmithd binary to measure the memory of (none: skip)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %w", sim.ErrUsage, err)
	}
	res := Result{Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())}
	var failed []error
	for _, n := range *sizes {
		o := sim.Defaults()
		o.Nodes, o.Max, o.RebootTime, o.Jitter, o.Seed = n, *maxSlots, *reboot, *reboot/5, *seed
		o.GroupPrefix = fmt.Sprintf("bench-%d", n)
		fmt.Fprintf(stderr, "fleet of %d nodes, max %d, reboot %s:\n", n, *maxSlots, *reboot)
		rep, err := sim.Simulate(ctx, o, stderr)
		if rep == nil {
			return err
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("%d nodes: %w", n, err))
		}
		res.Fleets = append(res.Fleets, rep)
	}
	if *locksmithd != "" {
		fmt.Fprintf(stderr, "memory of %s...\n", *locksmithd)
		m, err := measureMemory(ctx, *locksmithd)
		if err != nil {
			return err
		}
		res.Memory = &m
	}
	var err error
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	} else {
		err = res.writeText(stdout)
	}
	return errors.Join(append(failed, err)...)
}

// writeText prints the result as tables.
func (r Result) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "machine: %s\n", r.Machine)
	if len(r.Fleets) > 0 {
		f := r.Fleets[0]
		fmt.Fprintf(&b, "fleets: one group, max %d, reboot %s ±%s (time factor %g: a reboot stands for one minute), seed %d, embedded etcd\n\n",
			f.Max, secs(f.RebootSeconds), secs(f.JitterSeconds), f.TimeFactor, f.Seed)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "nodes\tideal\tmakespan\t/ideal\thandoff p50\thandoff p99\treq/reboot\tw/o keep-alive\tFIFO viol.\tbaseline makespan\t/ideal\tbaseline/watch\tbaseline req/reboot\tbaseline FIFO viol.\t")
		for _, f := range r.Fleets {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%.3f\t%.1f ms\t%.1f ms\t%.1f\t%.1f\t%d\t", f.Nodes, secs(f.IdealSeconds), secs(f.MakespanSeconds),
				f.MakespanRatio, f.HandoffP50Ms, f.HandoffP99Ms, f.EtcdRequestsPerReboot,
				f.EtcdRequestsPerReboot-f.EtcdPerRebootByMethod["Lease/LeaseKeepAlive"], f.FIFOViolations)
			if bl := f.Baseline; bl != nil {
				fmt.Fprintf(tw, "%s\t%.3f\t%.2f×\t%.1f\t%d\t", secs(bl.MakespanSeconds), bl.MakespanRatio, f.VsBaseline.Makespan,
					bl.EtcdRequestsPerReboot, bl.FIFOViolations)
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		b.WriteString("\nwhere the time goes (watch mode):\n\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "nodes	first slot after	slot held beyond reboot p50	p99	keep-alives/reboot	messages received/reboot	CPU s (all nodes + etcd)	")
		for _, f := range r.Fleets {
			fmt.Fprintf(tw, "%d\t%.1f ms\t%.1f ms\t%.1f ms\t%.1f\t%.1f\t%.1f\t\n", f.Nodes, f.FirstAcquireMs, f.SlotOverheadP50Ms, f.SlotOverheadP99Ms,
				f.EtcdPerRebootByMethod["Lease/LeaseKeepAlive"], f.EtcdReceivedPerReboot, f.CPUSeconds)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if m := r.Memory; m != nil {
		fmt.Fprintf(&b, "\nlocksmithd resident memory (VmRSS): idle %.1f MiB, waiting for a slot %.1f MiB\n",
			float64(m.IdleKiB)/1024, float64(m.WaitingKiB)/1024)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}
