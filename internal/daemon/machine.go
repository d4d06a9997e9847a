package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/semaphore/slot"
	"locksmith.dev/locksmith/strategy"
)

// Defaults used for zero durations in [Config].
const (
	DefaultRebootTimeout   = 10 * time.Minute
	DefaultProbeTimeout    = 10 * time.Second
	DefaultRetryInitial    = 10 * time.Second
	DefaultRetryMax        = 10 * time.Minute
	DefaultCheckRetryMax   = time.Minute
	DefaultBlockerTimeout  = 30 * time.Second
	DefaultBlockerInterval = time.Minute
)

// Config is what a [Machine] needs to know. Zero durations marked so select
// their defaults.
type Config struct {
	// Strategy is strategy.EtcdLock, strategy.Reboot or strategy.Off.
	Strategy strategy.Strategy
	// Schedule holds the reboot windows; the zero Schedule is always open.
	Schedule strategy.Schedule
	// Group is the reboot group, for messages ("" is the default group).
	Group string
	// MachineID is the holder id in the semaphore. Required.
	MachineID string
	// BootID identifies the current boot. Required.
	BootID string
	// Hostname is recorded with the slot.
	Hostname string
	// OSVersion is the version of the running OS (os-release VERSION), for the history; "" if
	// unknown.
	OSVersion string

	// PostRebootChecks are commands that must all exit 0 after a reboot
	// before the slot is released.
	PostRebootChecks []string
	// PostRebootTimeout bounds how long the checks are retried; 0 runs
	// them once, without a time limit.
	PostRebootTimeout time.Duration
	// PreRebootCommand runs after the slot is taken, before the reboot;
	// "" for none.
	PreRebootCommand string
	// LoginDelay is how long the reboot waits, once, while people are
	// logged in; 0 for no delay.
	LoginDelay time.Duration
	// LockTTL enables the removal of holders older than it while waiting
	// on a full semaphore; 0 disables it.
	LockTTL time.Duration
	// RebootTimeout is how long the host may stay up after the reboot was
	// requested before the attempt counts as failed; 0 selects
	// DefaultRebootTimeout.
	RebootTimeout time.Duration
	// ProbeTimeout bounds each try to read the semaphore or release the
	// slot at start, the check that the slot is still held right before
	// the reboot, and the release at shutdown; 0 selects
	// DefaultProbeTimeout.
	ProbeTimeout time.Duration
	// RetryInitial and RetryMax bound the back-off between failed attempts
	// (and between tries to reach etcd at start); 0 selects
	// DefaultRetryInitial and DefaultRetryMax. Post-reboot checks are
	// retried from RetryInitial up to DefaultCheckRetryMax.
	RetryInitial, RetryMax time.Duration
	// WatchdogInterval is how often WATCHDOG=1 is sent; 0 sends none.
	WatchdogInterval time.Duration
	// RequireNewVersion makes a reboot fail when the machine comes back on the OS version it
	// left (OSVersion, as its slot recorded it): for a host whose reboots are all for updates.
	RequireNewVersion bool
	// BlockerTimeout bounds each ask of a Blocker (a blocker that does not answer in time
	// blocks); BlockerInterval is how often a blocked machine asks again. 0 selects
	// DefaultBlockerTimeout and DefaultBlockerInterval.
	BlockerTimeout, BlockerInterval time.Duration

	// OnEvent, if set, is called with every [Event], synchronously from
	// Run's goroutine: it must return quickly and must not call the
	// Machine.
	OnEvent func(Event)
}

// Deps are the collaborators of a [Machine].
type Deps struct {
	// Lock is the semaphore of the group. Required with strategy
	// etcd-lock; with the other strategies it is only read at start to
	// release a slot this machine holds, and may be nil.
	Lock Lock
	// Updates says when a reboot is needed. Required unless the strategy
	// is off.
	Updates UpdateSource
	// Rebooter reboots. Required unless the strategy is off.
	Rebooter Rebooter
	// Sessions lists logged-in people for the login delay; nil disables
	// the delay.
	Sessions Sessions
	// Warner, if set, warns the people logged in when the login delay begins, and calls the
	// warning off when the reboot does not happen; nil warns nobody.
	Warner Warner
	// Runner runs the checks and the pre-reboot command; nil selects
	// ShellRunner.
	Runner Runner
	// Clock; nil selects clock.Real.
	Clock clock.Clock
	// Logger; nil discards logs.
	Logger *slog.Logger
	// Notifier receives sd_notify messages; nil for none.
	Notifier Notifier
	// Coordinator receives the coordinator.conf state; nil for none.
	Coordinator Coordinator
	// History receives the machine's events; nil for none.
	History History
	// Silencer silences the node's alerts while it reboots; nil for none.
	Silencer Silencer
	// Budget counts failed reboots (--max-failures); nil counts none.
	Budget Budget
	// Blockers can hold the reboot back; none by default.
	Blockers []Blocker
}

// ErrInvalidConfig is wrapped by the errors of [New] and [Config.Validate].
var ErrInvalidConfig = errors.New("invalid daemon configuration")

// FieldError is an invalid field of a [Config], as [Config.Validate] reports it. It wraps
// ErrInvalidConfig.
type FieldError struct {
	// Field is the name of the Config field, e.g. "LockTTL".
	Field string
	// Problem says what is wrong, e.g. "must not be negative".
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Unwrap returns ErrInvalidConfig.
func (e *FieldError) Unwrap() error { return ErrInvalidConfig }

// slotKind says why the machine holds a slot, which decides when it gives
// it back.
type slotKind int

const (
	slotNone      slotKind = iota
	slotForReboot          // taken (in this boot) for a reboot not yet done: released on failure and at shutdown
	slotKept               // from before the reboot, kept because the checks failed: released only when they pass
)

// env is what every goroutine of a [Machine] may use: its configuration and collaborators, set
// by New and never changed. The goroutines that run beside Run's (the watchdog, the stale-slot
// remover, the watch of a kept slot, the background release of strategy reboot) are methods of
// env, so they cannot reach Run's state: they tell Run's goroutine what they found only by
// returning it.
type env struct {
	cfg   Config
	d     Deps
	clock clock.Clock
	log   *slog.Logger
}

// Machine is the state machine of one node. Make it with [New]; call Run
// once.
type Machine struct {
	*env
	ran atomic.Bool
	// background runs env.releaseInBackground.
	background sync.WaitGroup

	// Fields below are Run's state, used by Run's goroutine only.
	state           State
	status          string
	since           time.Time // when state was entered
	rebootNeeded    bool
	windowOpens     time.Time     // see Event.WindowOpens
	blockedBy       string        // see Event.BlockedBy
	check           *CheckFailure // see Event.Check
	slot            slotKind
	holder          slot.Holder
	rebootRequested bool
	loginDelayDone  bool
	warned          bool   // the people logged in were told of a reboot that has not been called off
	healthFailure   string // first line of why the post-reboot checks failed, while the slot is kept
	retry           backoff
}

// New checks cfg and deps and returns a Machine. It returns an error
// wrapping [ErrInvalidConfig] if cfg is invalid (see [Config.Validate]), if
// the machine or boot id is missing, or if a required collaborator is.
func New(cfg Config, deps Deps) (*Machine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := check(cfg, deps); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	cfg.RebootTimeout = cmp.Or(cfg.RebootTimeout, DefaultRebootTimeout)
	cfg.ProbeTimeout = cmp.Or(cfg.ProbeTimeout, DefaultProbeTimeout)
	cfg.RetryInitial = cmp.Or(cfg.RetryInitial, DefaultRetryInitial)
	cfg.RetryMax = max(cmp.Or(cfg.RetryMax, DefaultRetryMax), cfg.RetryInitial)
	cfg.BlockerTimeout = cmp.Or(cfg.BlockerTimeout, DefaultBlockerTimeout)
	cfg.BlockerInterval = cmp.Or(cfg.BlockerInterval, DefaultBlockerInterval)
	if deps.Runner == nil {
		deps.Runner = ShellRunner{}
	}
	if deps.Clock == nil {
		deps.Clock = clock.Real
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	return &Machine{
		env:   &env{cfg: cfg, d: deps, clock: deps.Clock, log: deps.Logger},
		retry: backoff{initial: cfg.RetryInitial, max: cfg.RetryMax},
	}, nil
}

// Validate reports the first invalid setting of c as a *[FieldError]: an unknown strategy, or a
// negative duration. The host's identity (MachineID, BootID) is checked by New. locksmithd's
// configuration calls it, and names the flag of the field.
func (c Config) Validate() error {
	switch c.Strategy {
	case strategy.EtcdLock, strategy.Reboot, strategy.Off:
	default:
		return &FieldError{"Strategy", fmt.Sprintf("unknown strategy %q", c.Strategy)}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"PostRebootTimeout", c.PostRebootTimeout}, {"LoginDelay", c.LoginDelay},
		{"LockTTL", c.LockTTL}, {"RebootTimeout", c.RebootTimeout},
		{"ProbeTimeout", c.ProbeTimeout}, {"RetryInitial", c.RetryInitial},
		{"RetryMax", c.RetryMax}, {"WatchdogInterval", c.WatchdogInterval},
		{"BlockerTimeout", c.BlockerTimeout}, {"BlockerInterval", c.BlockerInterval},
	} {
		if d.v < 0 {
			return &FieldError{d.field, "must not be negative"}
		}
	}
	return nil
}

// check checks what Validate leaves: the identity and the collaborators.
func check(cfg Config, d Deps) error {
	if cfg.Strategy == strategy.EtcdLock && d.Lock == nil {
		return errors.New("strategy etcd-lock needs a Lock")
	}
	if cfg.Strategy != strategy.Off && (d.Updates == nil || d.Rebooter == nil) {
		return fmt.Errorf("strategy %s needs an UpdateSource and a Rebooter", cfg.Strategy)
	}
	if cfg.MachineID == "" || cfg.BootID == "" {
		return errors.New("machine id and boot id are required")
	}
	return nil
}

// Run runs the machine until ctx ends (the usual end: SIGTERM, or the host
// going down for the reboot) and returns nil then, after releasing a slot
// taken for a reboot not yet requested. With strategy off it returns nil
// once the start-up work (step 1 of the package's life cycle) is done. It
// returns an error only if called twice.
func (m *Machine) Run(ctx context.Context) error {
	if m.ran.Swap(true) {
		return errors.New("daemon: Machine.Run called twice")
	}
	stopWatchdog := m.startWatchdog()
	defer stopWatchdog()
	m.enter(StateStarting, "starting")
	m.notify(func(n Notifier) error { return n.Ready(m.status) })
	if m.afterBoot(ctx) == nil {
		if m.cfg.Strategy == strategy.Off {
			m.enter(StateOff, "strategy off: this daemon never reboots the host")
		} else {
			m.loop(ctx)
		}
	}
	m.stop(ctx)
	m.background.Wait()
	return nil
}

// loop makes attempts to reboot until one succeeds (and the host goes
// down, ending ctx) or ctx ends.
func (m *Machine) loop(ctx context.Context) {
	for ctx.Err() == nil {
		err := m.attempt(ctx)
		if ctx.Err() != nil {
			return
		}
		m.record(history.Event{Kind: history.AttemptFailed, Error: err.Error()})
		if errors.Is(err, ErrNotNeeded) {
			m.retry.reset() // the next reboot is a new story
			m.rebootNeeded = false
		}
		d := m.retry.delay()
		m.enterRetry(StateRetrying, fmt.Sprintf("retrying in %s: %v", d, err))
		if clock.Sleep(ctx, m.clock, d) != nil {
			return
		}
	}
}

// stop releases a slot taken for a reboot that was not requested, with a
// fresh bounded context since ctx has ended, and says goodbye.
func (m *Machine) stop(ctx context.Context) {
	m.releaseUnused(ctx, "shutting down before the reboot was requested")
	if !m.rebootRequested {
		m.callOffWarning(ctx)
	}
	status := "stopped"
	switch {
	case m.rebootRequested:
		status = "stopped; reboot requested, keeping the slot until after the reboot"
	case m.slot == slotKept:
		status = "stopped; keeping the slot of the failed post-reboot checks"
	}
	m.enter(StateStopped, status)
	m.notify(func(n Notifier) error { return n.Stopping(m.status) })
}

// startWatchdog sends WATCHDOG=1 every WatchdogInterval until the returned
// function is called.
func (e *env) startWatchdog() (stop func()) {
	if e.cfg.WatchdogInterval <= 0 || e.d.Notifier == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for clock.Sleep(ctx, e.clock, e.cfg.WatchdogInterval) == nil {
			e.notify(Notifier.Watchdog)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
