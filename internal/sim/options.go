package sim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/fleetlock"
	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/strategy"
)

// ErrUsage is wrapped by the errors of a bad command line.
var ErrUsage = errors.New("invalid usage")

// Options describe one simulation. Durations are real (wall-clock)
// durations of the run unless said otherwise; [Defaults] returns the
// defaults of the command line.
type Options struct {
	// Nodes is the size of the fleet; at least 1.
	Nodes int
	// Groups is the number of reboot groups; node i is in group i%Groups.
	Groups int
	// Max is the number of slots of every group; at least 1.
	Max int
	// RebootTime is how long a node stays down; each reboot takes
	// RebootTime plus a uniformly drawn offset in [-Jitter, +Jitter].
	RebootTime, Jitter time.Duration
	// Endpoints of an existing etcd cluster; nil starts an embedded
	// single-member etcd in a temporary directory. The keys of the run's
	// groups are deleted from it at the end of each run.
	Endpoints []string
	// Window is a reboot schedule in strategy.ParseSchedule's form, read
	// in UTC on the simulated clock; "" is always open.
	Window string
	// StartAt is the simulated clock's time when the run starts; zero is
	// the real time.
	StartAt time.Time
	// TimeFactor is how many times faster than real time the simulated
	// clock of the daemons runs: their timers (retry back-off, the
	// locksmith-style polling back-off, reboot windows) and the lock TTL
	// are scaled by it. 0 selects one minute / RebootTime, so that a
	// simulated reboot stands for a one-minute reboot (60 for the default
	// 1 s) and the back-offs keep their real-life proportion to it.
	TimeFactor float64
	// FailureRate is the probability that a node never comes back from
	// its reboot.
	FailureRate float64
	// LockTTL, when positive, lets waiting daemons remove a holder that
	// took its slot longer ago than this: the way a slot held by a node
	// that never came back is recovered. It must exceed the longest
	// reboot, or live nodes lose their slot while they are down.
	LockTTL time.Duration
	// FleetLockNodes of the nodes (the last ones) take their slot through a FleetLock server
	// that the run starts on loopback, on the same etcd, instead of from etcd: the odd ones
	// long-poll as locksmithd does, the even ones poll every 5 simulated minutes without the
	// extension, as Zincati does. The others use etcd, so one semaphore serves both kinds.
	FleetLockNodes int
	// Baseline also runs the fleet with locksmith-style waiting and
	// compares.
	Baseline bool
	// Seed makes the draws (reboot times, failures) reproducible; 0 picks
	// one, printed in the report.
	Seed uint64
	// Timeout bounds each fleet run; 0 selects 10 × ideal + 30 s.
	Timeout time.Duration
	// GroupPrefix starts the group names, so that runs against a shared
	// cluster do not meet: a run refuses to start while etcd has keys of
	// its groups.
	GroupPrefix string

	// Timeline, if set, is the path of an SVG file that the watch run is drawn into (see package
	// timeline), on the simulated clock.
	Timeline string

	// JSON prints the report as one JSON object.
	JSON bool
	// Quiet hides the live progress.
	Quiet bool
	// LogLevel of the daemons' logs on stderr; nil discards them.
	LogLevel *slog.Level
}

// Defaults returns the options of a command line without flags.
func Defaults() Options {
	return Options{
		Nodes: 10, Groups: 1, Max: 2,
		RebootTime: time.Second, Jitter: 200 * time.Millisecond,
		Baseline: true, GroupPrefix: "locksmith-sim",
	}
}

// parseArgs parses the command line (without the program name).
func parseArgs(args []string, stderr io.Writer) (Options, error) {
	o := Defaults()
	fs := pflag.NewFlagSet("locksmith-sim", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.IntVar(&o.Nodes, "nodes", o.Nodes, "number of simulated nodes")
	fs.IntVar(&o.Groups, "groups", o.Groups, "number of reboot groups; nodes are spread over them round-robin")
	fs.IntVar(&o.Max, "max", o.Max, "slots (nodes down at once) per group")
	fs.DurationVar(&o.RebootTime, "reboot-time", o.RebootTime, "how long a node is down for its reboot")
	fs.DurationVar(&o.Jitter, "jitter", o.Jitter, "each reboot takes reboot-time ± a uniform draw up to this (default: a fifth of reboot-time)")
	endpoint := fs.String("endpoint", "", "comma-separated etcd endpoints of an existing cluster, where the run's groups must not exist and are deleted at the end (default: an embedded etcd in a temporary directory)")
	fs.StringVar(&o.Window, "window", "", `reboot windows, e.g. "Mon-Fri 04:00 1h; 23:30 45m" (UTC, on the simulated clock)`)
	winStart := fs.String("window-start", "", `locksmith-style window start "[Day ]HH:MM" (with --window-length)`)
	winLength := fs.String("window-length", "", "locksmith-style window length, e.g. 1h30m")
	startAt := fs.String("start-at", "", "simulated time at the start, RFC 3339 (default: now)")
	fs.Float64Var(&o.TimeFactor, "time-factor", 0, "how much faster than real time the daemons' clock runs (default: 1m / reboot-time, so a reboot stands for a one-minute reboot)")
	fs.Float64Var(&o.FailureRate, "failure-rate", 0, "probability that a node never comes back from its reboot")
	fs.DurationVar(&o.LockTTL, "lock-ttl", 0, "remove a slot holder after this long (real time; must exceed the longest reboot); 0 never")
	fs.IntVar(&o.FleetLockNodes, "fleetlock-nodes", 0, "how many nodes take their slot through a FleetLock server on the same etcd (half long-poll like locksmithd --fleetlock-url, half poll every 5 simulated minutes like Zincati)")
	fs.BoolVar(&o.Baseline, "baseline", o.Baseline, "also run the fleet waiting like old locksmith (polling with back-off 10s..5min on the simulated clock) and compare")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed of the random draws (0: pick one and print it)")
	fs.DurationVar(&o.Timeout, "timeout", 0, "give up a fleet run after this long (default 10 × ideal + 30s)")
	fs.StringVar(&o.GroupPrefix, "group-prefix", o.GroupPrefix, "prefix of the reboot group names")
	fs.StringVar(&o.Timeline, "timeline", "", "draw the rollout (the watch run) as an SVG Gantt chart into this file: a row per node with its phases, and the slots held against max")
	fs.BoolVar(&o.JSON, "json", false, "print the report as one JSON object on stdout")
	fs.BoolVar(&o.Quiet, "quiet", false, "do not show the live progress")
	logLevel := fs.String("log-level", "", "show the daemons' logs on stderr at this level (debug, info, warn, error)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: locksmith-sim [flags]\n\nSimulates a fleet of locksmithd nodes rebooting, with the real daemon state machine\nand the real etcd semaphore, and reports how the rollout went.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if !fs.Changed("jitter") {
		o.Jitter = o.RebootTime / 5
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	if *endpoint != "" {
		o.Endpoints = strings.Split(*endpoint, ",")
	}
	if *winStart != "" || *winLength != "" {
		if o.Window != "" {
			return o, fmt.Errorf("%w: give --window or --window-start/--window-length, not both", ErrUsage)
		}
		sched, err := strategy.ParseLocksmithWindow(*winStart, *winLength, time.UTC)
		if err != nil {
			return o, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		o.Window = sched.String()
	}
	if *startAt != "" {
		t, err := time.Parse(time.RFC3339, *startAt)
		if err != nil {
			return o, fmt.Errorf("%w: --start-at %q is not an RFC 3339 time such as 2026-01-05T03:55:00Z", ErrUsage, *startAt)
		}
		o.StartAt = t
	}
	if *logLevel != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(*logLevel)); err != nil {
			return o, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", ErrUsage, *logLevel)
		}
		o.LogLevel = &l
	}
	return o, o.Validate()
}

// Validate checks o; its errors wrap ErrUsage and name the setting.
func (o Options) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrUsage}, args...)...)
	}
	switch {
	case o.Nodes < 1:
		return bad("--nodes %d: need at least 1", o.Nodes)
	case o.Groups < 1 || o.Groups > o.Nodes:
		return bad("--groups %d: need between 1 and --nodes (%d)", o.Groups, o.Nodes)
	case o.Max < 1:
		return bad("--max %d: need at least 1", o.Max)
	case o.RebootTime <= 0:
		return bad("--reboot-time %s: must be positive", o.RebootTime)
	case o.Jitter < 0 || o.Jitter > o.RebootTime:
		return bad("--jitter %s: must be between 0 and --reboot-time (%s)", o.Jitter, o.RebootTime)
	case o.TimeFactor < 0:
		return bad("--time-factor %g: must not be negative", o.TimeFactor)
	case o.FailureRate < 0 || o.FailureRate >= 1:
		return bad("--failure-rate %g: must be in [0, 1)", o.FailureRate)
	case o.LockTTL < 0:
		return bad("--lock-ttl %s: must not be negative", o.LockTTL)
	case o.FleetLockNodes < 0 || o.FleetLockNodes > o.Nodes:
		return bad("--fleetlock-nodes %d: need between 0 and --nodes (%d)", o.FleetLockNodes, o.Nodes)
	case o.Timeout < 0:
		return bad("--timeout %s: must not be negative", o.Timeout)
	case o.GroupPrefix == "":
		return bad("--group-prefix must not be empty")
	}
	if o.FleetLockNodes > 0 && !fleetlock.GroupPattern.MatchString(o.GroupPrefix) {
		return bad("--group-prefix %q: FleetLock nodes need group names that match %s", o.GroupPrefix, fleetlock.GroupPattern)
	}
	if _, err := o.schedule(); err != nil {
		return bad("--window: %w", err)
	}
	if len(o.Endpoints) > 0 {
		if err := (etcdclient.Config{Endpoints: o.Endpoints}).Validate(); err != nil {
			return bad("--endpoint: %w", err)
		}
	}
	return nil
}

// timeFactor returns TimeFactor, or its default.
func (o Options) timeFactor() float64 {
	if o.TimeFactor == 0 {
		return float64(time.Minute) / float64(o.RebootTime)
	}
	return o.TimeFactor
}

// schedule returns the reboot windows.
func (o Options) schedule() (strategy.Schedule, error) {
	if o.Window == "" {
		return strategy.Schedule{}, nil
	}
	return strategy.ParseSchedule(o.Window, time.UTC)
}
