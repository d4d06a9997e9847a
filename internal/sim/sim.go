package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

// Errors of a simulation that ran, to be tested with errors.Is. The report
// is printed (and returned by Simulate) in every case.
var (
	// ErrMaxExceeded: more than max nodes of a group were down, or held
	// slots, at once.
	ErrMaxExceeded = errors.New("more than max nodes of a group down at once")
	// ErrIncomplete: the rollout did not finish.
	ErrIncomplete = errors.New("rollout did not finish")
	// ErrSlotsLeaked: nodes that came back still hold slots at the end.
	ErrSlotsLeaked = errors.New("slots leaked")
	// ErrTimeout: a fleet run hit its timeout.
	ErrTimeout = errors.New("timeout")
)

// Run runs locksmith-sim with the command line args (without the program
// name): it simulates the fleet, shows the progress on stderr and prints
// the report on stdout, as text or (--json) as one JSON object. It returns
// nil if the rollout completed within the limits, an error wrapping
// ErrUsage for a bad command line (including a malformed --endpoint),
// ErrMaxExceeded, ErrIncomplete or ErrSlotsLeaked when the report shows a
// failure, ErrGroupInUse when etcd has keys of the run's groups before it
// starts, or the error that stopped the simulation.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, err := Simulate(ctx, o, stderr)
	if rep == nil {
		return err
	}
	var werr error
	if o.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		werr = enc.Encode(rep)
	} else {
		werr = rep.writeText(stdout)
	}
	return errors.Join(err, werr)
}

// Simulate runs the simulation o describes, showing progress and the
// daemons' logs (as o says) on stderr. It returns the report, with an error
// wrapping ErrMaxExceeded, ErrIncomplete or ErrSlotsLeaked when the report
// shows a failure (several are joined). If the simulation could not run
// (bad options, etcd unreachable) it returns a nil report and the error.
func Simulate(ctx context.Context, o Options, stderr io.Writer) (*Report, error) {
	return simulate(ctx, o, stderr, nil)
}

// simulate is Simulate with a test hook run after each fleet is done.
func simulate(ctx context.Context, o Options, stderr io.Writer, afterDone func(context.Context, *clientv3.Client, []string) error) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	limit, err := openFilesLimit()
	if err != nil {
		return nil, err
	}
	if err := o.checkOpenFiles(limit); err != nil {
		return nil, err
	}
	seed := o.Seed
	for seed == 0 {
		seed = rand.Uint64()
	}
	rep := &Report{Seed: seed, TimeFactor: o.timeFactor(), Etcd: "embedded"}
	endpoints := o.Endpoints
	if endpoints == nil {
		srv, cleanup, err := startEtcd(ctx)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		endpoints = srv.Endpoints()
	} else {
		rep.Etcd = strings.Join(endpoints, ",")
	}
	admin, err := etcdclient.New(etcdclient.Config{Endpoints: endpoints})
	if err != nil {
		return nil, err
	}
	defer admin.Close()

	logger := slog.New(slog.DiscardHandler)
	if o.LogLevel != nil {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.LogLevel}))
	}
	modes := []string{ModeWatch}
	if o.Baseline {
		modes = append(modes, ModeBaseline)
	}
	var errs []error
	for _, mode := range modes {
		f, err := newFleet(o, mode, seed, endpoints, logger)
		if err != nil {
			return nil, err
		}
		f.afterDone = afterDone
		if o.Timeline != "" && mode == ModeWatch {
			f.journal = &history.Memory{}
		}
		show := func(time.Duration, counts, bool) {}
		if !o.Quiet {
			show = newProgressLine(stderr, mode, o.Nodes).show
		}
		out, err := f.run(ctx, admin, timeout(o), show)
		if out == nil {
			return nil, err
		}
		run := runReport(o, out)
		errs = append(errs, err, run.check())
		if f.journal != nil {
			if err := f.drawTimeline(o.Timeline); err != nil {
				errs = append(errs, err)
			} else if !o.Quiet {
				fmt.Fprintf(stderr, "locksmith-sim: drew the %s run into %s\n", mode, o.Timeline)
			}
		}
		if mode == ModeWatch {
			rep.RunReport = run
		} else {
			rep.Baseline = &run
			rep.VsBaseline = compare(rep.RunReport, run)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return rep, errors.Join(errs...)
}

// check returns the failures the report shows, joined.
func (r RunReport) check() error {
	var errs []error
	if r.MaxExceeded {
		errs = append(errs, fmt.Errorf("%s run: %w: %d nodes down, %d slots held at most, max %d", r.Mode, ErrMaxExceeded, r.MaxDownObserved, r.MaxConcurrentObserved, r.Max))
	}
	if !r.Completed {
		errs = append(errs, fmt.Errorf("%s run: %w", r.Mode, ErrIncomplete))
	}
	if r.SlotsLeaked > 0 {
		errs = append(errs, fmt.Errorf("%s run: %w: %d", r.Mode, ErrSlotsLeaked, r.SlotsLeaked))
	}
	return errors.Join(errs...)
}

// timeout is the time limit of one fleet run.
func timeout(o Options) time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	perGroup := math.Ceil(float64(o.Nodes) / float64(o.Groups))
	ideal := time.Duration(math.Ceil(perGroup/float64(o.Max))) * o.RebootTime
	return 10*ideal + 30*time.Second
}

// startEtcd starts an embedded etcd in a temporary directory; cleanup
// stops it and removes the directory.
func startEtcd(ctx context.Context) (*embedetcd.Server, func(), error) {
	dir, err := os.MkdirTemp("", "locksmith-sim-etcd-")
	if err != nil {
		return nil, nil, fmt.Errorf("start embedded etcd: %w", err)
	}
	srv, err := embedetcd.Start(ctx, embedetcd.Config{Dir: dir})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	return srv, func() {
		srv.Close()
		_ = os.RemoveAll(dir)
	}, nil
}
