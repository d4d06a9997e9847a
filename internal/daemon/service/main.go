package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/fleetlock"
	"locksmith.dev/locksmith/internal/coordinator"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/daemon/config"
	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/hostid"
	"locksmith.dev/locksmith/internal/sdnotify"
	"locksmith.dev/locksmith/internal/sentinel"
	"locksmith.dev/locksmith/internal/statefile"
	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/semaphore/slot"
	"locksmith.dev/locksmith/strategy"
)

// ExitCode returns locksmithd's exit status for an error of [Main]: 0 for
// nil and for --help and --version, 2 for an invalid configuration (the
// unit does not restart on 2), 1 otherwise.
func ExitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, config.ErrHelp), errors.Is(err, config.ErrVersion):
		return 0
	case errors.Is(err, config.ErrInvalid):
		return 2
	default:
		return 1
	}
}

// Main runs locksmithd with the command line args (without the program
// name) and the environment vars (envflag.OS() in main; systemd's
// NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID are read by go-systemd from
// the process environment): it reads
// and validates the configuration, then runs the state machine until ctx
// ends (SIGTERM) or, with strategy off, until the start-up work is done.
// Usage goes to stdout, logs to stderr.
//
// It returns nil after a clean run, config.ErrHelp after printing the
// usage, config.ErrVersion after printing the version, an error wrapping config.ErrInvalid if the configuration (flags,
// environment, the identity files, the etcd TLS files) is invalid, and
// another error if the daemon cannot run.
func Main(ctx context.Context, args []string, vars envflag.Environment, stdout, stderr io.Writer) error {
	s, err := config.Parse(args, vars, stdout)
	if errors.Is(err, config.ErrVersion) {
		fmt.Fprintf(stdout, "locksmithd version %s\n", version())
	}
	if err != nil {
		return err
	}
	log := newLogger(s.LogLevel, stderr, vars.Lookup)
	for _, w := range s.Warnings {
		log.Warn(w)
	}
	cfg, err := machineConfig(s)
	if err != nil {
		return err
	}
	if s.FleetLock.URL == "" {
		for _, w := range s.Etcd.Warnings() {
			log.Warn("etcd settings should change", "warning", w)
		}
	}
	state := statefile.File{Dir: s.StateDir}
	obs, err := newObservers(s, log)
	if err != nil {
		return err
	}
	blockers, err := newBlockers(ctx, s.Blockers, cfg.BlockerTimeout, log)
	if err != nil {
		return err
	}
	trouble := troubleLog(log, time.Now)
	be, held, err := slotLock(ctx, s, cfg.MachineID, state, log, semaphore.WithQueued(obs.queued),
		semaphore.WithTrouble(func(err error) {
			trouble(err)
			obs.backendError()
		}))
	if err != nil {
		obs.close()
		if ctx.Err() != nil { // stopped while etcd did not answer
			return nil
		}
		return err
	}
	defer be.close()
	defer obs.close() // before the client closes: it may still send through it
	if be.client != nil {
		obs.useEtcd(be.client, cfg, s.HistorySize, be.sem.Last)
	} else {
		log.Info("no etcd client: the history and the published node state are not kept (locksmithctl history and why show nothing of this node)")
	}
	cfg.OnEvent = obs.event(recorder(state, held, cfg.Group, log))
	b := &bus{address: s.DBusAddress}
	defer b.close()
	deps := daemon.Deps{
		Logger:      log,
		Notifier:    sdnotify.Notifier{},
		Coordinator: coordinator.File{Path: s.CoordinatorFile, Strategy: string(s.Strategy)},
		History:     obs,
		Blockers:    blockers,
	}
	if be.lock != nil {
		deps.Lock = countingLock(be.lock, obs.backendError)
	}
	if sl := newSilencer(s.Silence, cfg.MachineID, cfg.Hostname, log); sl != nil {
		deps.Silencer = sl
	}
	if b := s.Budget; b.MaxFailures > 0 && be.sem != nil {
		deps.Budget = budget{sem: be.sem, id: cfg.MachineID, limit: b.MaxFailures, window: b.Window}
	} else if b.MaxFailures > 0 {
		log.Warn("--max-failures is ignored: this node does not use the semaphore in etcd", "strategy", s.Strategy)
	}
	if s.Strategy != strategy.Off {
		deps.Updates = updateSource(s, b, log)
		deps.Rebooter, deps.Sessions, deps.Warner = login{b}, login{b}, login{b}
	}
	m, err := daemon.New(cfg, deps)
	if err != nil {
		return err
	}
	backend := "etcd"
	if s.FleetLock.URL != "" {
		backend = "FleetLock at " + s.FleetLock.URL
	}
	log.Info("locksmithd starting", "strategy", s.Strategy, "slots_from", backend, "group", slot.GroupName(s.Group), "windows", s.Schedule.String(),
		"blackout", s.Schedule.Blackout().String(), "blockers", blockerNames(blockers), "time_zone", s.Schedule.Location().String(), "machine_id", cfg.MachineID, "boot_id", cfg.BootID)
	return m.Run(ctx)
}

// machineConfig completes the state machine's configuration in s with the host's identity files,
// its name and the systemd watchdog.
func machineConfig(s config.Settings) (daemon.Config, error) {
	cfg := s.Config
	var err error
	if cfg.MachineID, err = hostid.ReadMachineID(s.MachineIDFile); err != nil {
		return daemon.Config{}, fmt.Errorf("%w: --machine-id-file: %w", config.ErrInvalid, err)
	}
	if cfg.BootID, err = hostid.ReadBootID(s.BootIDFile); err != nil {
		return daemon.Config{}, fmt.Errorf("%w: --boot-id-file: %w", config.ErrInvalid, err)
	}
	if cfg.WatchdogInterval, err = sdnotify.WatchdogInterval(); err != nil {
		return daemon.Config{}, fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	cfg.Hostname, _ = os.Hostname()
	cfg.OSVersion, _ = hostid.ReadOSVersion(s.OSReleaseFile) // for the history only: "" if unknown
	return cfg, nil
}

// backend is where the machine's slot comes from.
type backend struct {
	lock   daemon.Lock          // nil when the machine does not look in etcd at all
	client *clientv3.Client     // nil with FleetLock, or without etcd
	sem    *semaphore.Semaphore // likewise
	close  func()
}

// slotLock returns the backend of the machine's slot, and whether the state file records a slot.
// With strategies reboot and off, no etcd configured and no slot recorded (see package
// statefile), it has no Lock: the machine does not look in etcd at all. opts configure the
// semaphore, with etcd.
func slotLock(ctx context.Context, s config.Settings, machineID string, state statefile.File, log *slog.Logger, opts ...semaphore.Option) (be backend, held bool, err error) {
	recorded, held, stateErr := state.Held()
	if stateErr != nil {
		log.Warn("cannot tell from the state file whether this node holds a slot; looking in etcd", "error", stateErr)
	}
	if s.Strategy != strategy.EtcdLock && s.FleetLock.URL == "" && !s.EtcdConfigured && !held && stateErr == nil {
		log.Info("etcd is not configured and the state file records no slot: not looking in etcd", "state_file", state.Path(),
			"strategy", s.Strategy)
		return backend{close: func() {}}, false, nil
	}
	if held {
		log.Info("the state file records a slot of this node; looking for it in etcd", "state_file", state.Path(),
			"group", slot.GroupName(recorded.Group), "taken_in_boot", recorded.BootID)
	}
	be, err = newLock(ctx, s, machineID, log, opts...)
	return be, held, err
}

// recorder returns a daemon.Config.OnEvent that keeps the state file in step with the slot the
// machine holds: written when it takes (or finds) one, removed when it holds none. held is what
// the file said at start. A failure is logged; it costs only the look in etcd at the next start.
func recorder(state statefile.File, held bool, group string, log *slog.Logger) func(daemon.Event) {
	return func(e daemon.Event) {
		if e.Holding == held {
			return
		}
		held = e.Holding
		var err error
		if held {
			err = state.Record(statefile.Slot{Group: group, BootID: e.Holder.BootID, Taken: e.Holder.AcquiredAt})
		} else {
			err = state.Clear()
		}
		if err != nil {
			log.Warn("cannot keep the state file up to date; the next start looks in etcd only if etcd is configured", "error", err)
		}
	}
}

// newLock returns the backend the machine takes its slot from: a FleetLock server when one is
// configured, else etcd, with the semaphore options opts.
func newLock(ctx context.Context, s config.Settings, machineID string, log *slog.Logger, opts ...semaphore.Option) (backend, error) {
	if f := s.FleetLock; f.URL != "" {
		hc := &http.Client{Timeout: fleetlock.DefaultLongPoll + 30*time.Second}
		if f.TLS != nil {
			hc.Transport = &http.Transport{TLSClientConfig: f.TLS, Proxy: http.ProxyFromEnvironment}
		}
		c := &fleetlock.Client{URL: f.URL, ID: machineID, Group: fleetlock.FleetLockGroup(s.Group), PollInterval: f.PollInterval, HTTP: hc}
		return backend{lock: fleetlock.NewNodeLock(c), close: hc.CloseIdleConnections}, nil
	}
	client, err := etcdClient(ctx, s.Etcd, log)
	if err != nil {
		return backend{}, err
	}
	sem := semaphore.New(client, s.Group, opts...)
	return backend{lock: etcdLock(sem, s.Etcd), client: client, sem: sem, close: func() {
		_ = sem.Close()
		_ = client.Close()
	}}, nil
}

// updateSource combines update_engine and the sentinel files as
// configured.
func updateSource(s config.Settings, b *bus, log *slog.Logger) daemon.UpdateSource {
	var sources anySource
	if s.UpdateEngine {
		sources = append(sources, updateEngine{bus: b, log: log})
	}
	if len(s.Sentinels) > 0 {
		sources = append(sources, sentinels{sentinel.Files{Paths: s.Sentinels}})
	}
	return sources
}

// newLogger logs text to w; without timestamps under systemd, whose journal
// adds its own ($JOURNAL_STREAM is set).
func newLogger(level slog.Level, w io.Writer, lookup envflag.LookupFunc) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if _, journal := lookup("JOURNAL_STREAM"); journal {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
