// Package config reads locksmithd's configuration from its command line and
// environment, validates every value and returns [Settings].
//
// Every flag --some-flag can also be set as LOCKSMITHD_SOME_FLAG; some
// flags also read the variables of old locksmith (REBOOT_STRATEGY,
// REBOOT_WINDOW_START, REBOOT_WINDOW_LENGTH) and --dbus-address reads the
// standard DBUS_SYSTEM_BUS_ADDRESS. A flag on the command line wins over the
// environment; a variable set to the empty string counts as unset. Legacy
// single-dash long flags (-endpoint=URL) work, and so do old locksmithd's
// -version and -debug (deprecated, hidden from the usage: it is
// --log-level=debug).
//
// An invalid value is an error wrapping [ErrInvalid] that names where the
// value came from (the flag, or the variable and its flag) and quotes it
// (but never a password). The etcd TLS and password files are read and
// parsed here, so that a bad one is an invalid configuration too.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/history/etcdlog"
	"locksmith.dev/locksmith/internal/coordinator"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/internal/hostid"
	"locksmith.dev/locksmith/internal/statefile"
	"locksmith.dev/locksmith/strategy"
)

// ErrInvalid is wrapped by every error of [Parse] that is due to the
// configuration; locksmithd exits with status 2 on it.
var ErrInvalid = errors.New("invalid configuration")

// ErrHelp is returned by [Parse] after printing the usage for --help.
var ErrHelp = pflag.ErrHelp

// ErrVersion is returned by [Parse] for --version, before anything else is
// checked; the caller prints the version.
var ErrVersion = errors.New("version requested")

// DefaultDBusAddress is the system bus of a Linux host.
const DefaultDBusAddress = "unix:path=/var/run/dbus/system_bus_socket"

// Settings is the validated configuration of locksmithd.
type Settings struct {
	// Config is the state machine's configuration, but for what the host tells at start and
	// locksmithd's main fills in: MachineID, BootID, Hostname and WatchdogInterval.
	daemon.Config
	Etcd etcdclient.Config
	// EtcdConfigured reports an etcd endpoint given explicitly (flag or variable), not the
	// default one.
	EtcdConfigured  bool
	StateDir        string    // directory of the state file (see package statefile)
	FleetLock       FleetLock // with a URL, the slot comes from a FleetLock server, not etcd
	Sentinels       []string  // absolute paths
	UpdateEngine    bool
	DBusAddress     string
	MachineIDFile   string
	BootIDFile      string
	CoordinatorFile string
	OSReleaseFile   string // os-release, for the OS version in the history
	// MetricsAddress is where Prometheus metrics are served ("" for nowhere), NotifyURL the
	// webhook the node's events are posted to ("" for none).
	MetricsAddress, NotifyURL string
	// HistorySize is how many events the group's history in etcd keeps.
	HistorySize int
	// Blockers can hold the reboot back.
	Blockers Blockers
	// Budget freezes the group after too many failed reboots.
	Budget Budget
	// Silence silences the node's alerts while it reboots.
	Silence  Silence
	LogLevel slog.Level
	// Warnings are about settings that work but should change (deprecated
	// flags), for the log.
	Warnings []string
}

// flagOf names the flag of each daemon.Config field that a flag sets, for the errors of
// daemon.Config.Validate.
var flagOf = map[string]string{
	"Strategy":          "reboot-strategy",
	"PostRebootTimeout": "post-reboot-timeout",
	"LoginDelay":        "login-delay",
	"LockTTL":           "lock-ttl",
	"RebootTimeout":     "reboot-timeout",
	"RetryInitial":      "retry-initial",
	"RetryMax":          "retry-max",
	"BlockerTimeout":    "blocker-timeout",
	"BlockerInterval":   "blocker-interval",
}

// env maps the flags to variables.
var env = envflag.Env{Prefix: "LOCKSMITHD", Aliases: map[string][]string{
	"reboot-strategy":      {"REBOOT_STRATEGY"},
	"reboot-window-start":  {"REBOOT_WINDOW_START"},
	"reboot-window-length": {"REBOOT_WINDOW_LENGTH"},
	"dbus-address":         {"DBUS_SYSTEM_BUS_ADDRESS"},
}}

// flags holds the raw values of the flags.
type flags struct {
	strategy, windowStart, windowLength, windows, timezone string
	blackout                                               string
	etcd                                                   etcdclient.Config
	s                                                      Settings
	logLevel                                               string
	debug                                                  bool
	blockers                                               blockerFlags
	silence                                                silenceFlags
	allowSameVersion                                       bool
}

func (f *flags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.strategy, "reboot-strategy", "", `what to do when a reboot is needed: "etcd-lock" (take a slot of the group's semaphore in etcd first), "reboot" (reboot in the window without etcd) or "off" (never reboot); empty means "reboot"`)
	fs.StringVar(&f.windowStart, "reboot-window-start", "", `start of the reboot window, "[Day ]HH:MM" (e.g. "Thu 04:00"; without a day: every day)`)
	fs.StringVar(&f.windowLength, "reboot-window-length", "", `length of the reboot window, a duration such as "1h30m"`)
	fs.StringVar(&f.windows, "reboot-windows", "", `reboot windows in the extended form "[days ]HH:MM length; ...", e.g. "Mon-Fri 04:00 1h; Sat,Sun 02:00 4h" (instead of --reboot-window-start/--reboot-window-length)`)
	fs.StringVar(&f.blackout, "reboot-blackout", "", `dates on which no reboot window opens, whole days in the windows' time zone: yearly "Mon D[-Mon D]" or once "YYYY-MM-DD[-YYYY-MM-DD]", separated by ";", e.g. "Dec 24-Jan 2; 2027-03-31"`)
	fs.StringVar(&f.timezone, "timezone", "", `time zone of the reboot windows: an IANA name such as "Europe/Berlin", "UTC", or "Local" (the host's zone, the default)`)
	f.etcd.RegisterFlags(fs)
	f.s.FleetLock.register(fs)
	fs.StringVar(&f.s.Group, "group", "", "reboot group: nodes of a group share one semaphore (empty: the default group)")
	fs.StringArrayVar(&f.s.PostRebootChecks, "post-reboot-check", nil, "shell command that must exit 0 after a reboot before the slot is released; repeat for several (the environment gives one)")
	fs.DurationVar(&f.s.PostRebootTimeout, "post-reboot-timeout", 30*time.Minute, "how long failing post-reboot checks are retried; after that the slot is kept and the rollout halts (0: run them once)")
	fs.StringSliceVar(&f.s.Sentinels, "reboot-sentinel", nil, "absolute path of a file whose existence means a reboot is needed (e.g. /var/run/reboot-required); comma-separated or repeated")
	fs.BoolVar(&f.s.UpdateEngine, "update-engine", true, "wait for update_engine (com.coreos.update1 on D-Bus) to say a reboot is needed")
	fs.BoolVar(&f.allowSameVersion, "allow-same-version", false, "release the slot after a reboot for update_engine even if the OS version (VERSION of --os-release-file) did not change; by default that is a failed reboot (with --reboot-sentinel, the version is never required to change)")
	fs.StringVar(&f.s.PreRebootCommand, "pre-reboot-command", "", "shell command run after taking the slot, right before the reboot (e.g. a drain); a failure releases the slot and retries later")
	fs.DurationVar(&f.s.LoginDelay, "login-delay", 5*time.Minute, "delay the reboot once by this long while people are logged in (0: no delay)")
	fs.DurationVar(&f.s.LockTTL, "lock-ttl", 0, "while waiting on a full semaphore, remove a holder that has held its slot longer than this, one at a time (0: never)")
	fs.DurationVar(&f.s.RebootTimeout, "reboot-timeout", 10*time.Minute, "if the host is still up this long after the reboot was requested, release the slot and report the failure")
	fs.DurationVar(&f.s.RetryInitial, "retry-initial", daemon.DefaultRetryInitial, "first wait after a failed attempt (pre-reboot command or reboot failed; with strategy off, etcd unreachable at start); it doubles on each failure. With etcd-lock, the steps on etcd are retried after 100ms doubling to 2s")
	fs.DurationVar(&f.s.RetryMax, "retry-max", daemon.DefaultRetryMax, "longest wait between failed attempts")
	f.blockers.register(fs)
	f.s.Budget.register(fs)
	f.silence.register(fs)
	fs.DurationVar(&f.s.BlockerTimeout, "blocker-timeout", daemon.DefaultBlockerTimeout, "time limit of each ask of a blocker (an alert query, a PromQL query, a blocker command); one that does not answer in time blocks")
	fs.DurationVar(&f.s.BlockerInterval, "blocker-interval", daemon.DefaultBlockerInterval, "how often a blocked node asks its blockers again")
	fs.StringVar(&f.s.DBusAddress, "dbus-address", DefaultDBusAddress, "address of the D-Bus system bus (update_engine and logind)")
	fs.StringVar(&f.s.MachineIDFile, "machine-id-file", hostid.DefaultMachineIDPath, "file holding the machine id, the holder id in the semaphore")
	fs.StringVar(&f.s.BootIDFile, "boot-id-file", hostid.DefaultBootIDPath, "file holding the current boot id")
	fs.StringVar(&f.s.StateDir, "state-dir", statefile.DefaultDir, "directory of the file that records, across reboots, that this node holds a slot (strategies reboot and off look in etcd at start only when etcd is configured or this file says so)")
	fs.StringVar(&f.s.CoordinatorFile, "coordinator-file", coordinator.DefaultPath, "file telling update_engine and operators which coordinator runs and its state")
	fs.StringVar(&f.s.OSReleaseFile, "os-release-file", DefaultOSReleaseFile, "os-release file whose VERSION the history records before and after each reboot")
	fs.IntVar(&f.s.HistorySize, "history-size", etcdlog.DefaultLimit, "how many events the group's history in etcd keeps (locksmithctl history); older ones are removed as new ones come")
	fs.StringVar(&f.s.MetricsAddress, "metrics-address", "", `serve Prometheus metrics at http://ADDRESS/metrics, e.g. "127.0.0.1:9756" (empty: no metrics); use loopback or a firewalled port`)
	fs.StringVar(&f.s.NotifyURL, "notify-url", "", "http(s) URL that each event of this node is posted to as JSON, with a \"text\" field for Slack- and Mattermost-style webhooks (empty: none); best effort, never delays a reboot")
	fs.StringVar(&f.logLevel, "log-level", "info", `log level: "debug", "info", "warn" or "error" (old locksmithd's --debug is still accepted, hidden and deprecated, as --log-level=debug)`)
	fs.BoolVar(&f.debug, "debug", false, "deprecated: log at debug level, whatever --log-level says")
	_ = fs.MarkDeprecated("debug", "use --log-level=debug") // cannot fail: the flag exists
}

// newFlagSet returns locksmithd's flags, stored into f, with --help and --version, each usage
// naming its variables.
func newFlagSet(f *flags) (fs *pflag.FlagSet, help, version *bool) {
	fs = pflag.NewFlagSet("locksmithd", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.register(fs)
	help = fs.BoolP("help", "h", false, "show this help")
	version = fs.Bool("version", false, "print the version and exit")
	env.Document(fs, "help", "version")
	return fs, help, version
}

// FlagSet returns locksmithd's flags as --help lists them, for documentation (the manual pages).
func FlagSet() *pflag.FlagSet {
	fs, _, _ := newFlagSet(&flags{})
	return fs
}

// Variables returns the environment variables that set each flag, most preferred first.
func Variables(flag string) []string { return env.Names(flag) }

// Parse reads the configuration from args (without the program name) and
// the environment vars, and validates it; variables of its prefix that name no option give a
// warning in Settings.Warnings. For --help it prints the
// usage to usage and returns ErrHelp; for --version it returns ErrVersion.
// Every other error wraps ErrInvalid.
func Parse(args []string, vars envflag.Environment, usage io.Writer) (Settings, error) {
	lookup := vars.Lookup
	var f flags
	fs, help, version := newFlagSet(&f)
	if err := fs.Parse(envflag.NormalizeArgs(fs, args)); err != nil {
		return Settings{}, fmt.Errorf("%w: %w (see --help)", ErrInvalid, err)
	}
	if *help {
		fmt.Fprintf(usage, "Usage: locksmithd [flags]\n\nlocksmithd reboots this host when an update needs it, inside its reboot window,\nafter taking a slot of its group's semaphore in etcd (strategy etcd-lock).\n\nFlags (each also read from the environment variables in brackets; a flag\non the command line wins):\n%s", fs.FlagUsages())
		return Settings{}, ErrHelp
	}
	if *version {
		return Settings{}, ErrVersion
	}
	if fs.NArg() > 0 {
		return Settings{}, fmt.Errorf("%w: unexpected argument %q", ErrInvalid, fs.Arg(0))
	}
	p := source{fs: fs, lookup: lookup, fromArgs: map[string]bool{}}
	fs.Visit(func(fl *pflag.Flag) { p.fromArgs[fl.Name] = true })
	if err := env.Apply(fs, lookup, "help", "version"); err != nil {
		return Settings{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	s, err := f.settings(p)
	s.Warnings = append(s.Warnings, env.Unknown(fs, vars.Names, "help", "version")...)
	return s, err
}

// settings validates the raw values.
func (f *flags) settings(p source) (Settings, error) {
	s := f.s
	var err error
	if s.Strategy, err = strategy.ParseStrategy(f.strategy); err != nil {
		return Settings{}, p.invalid("reboot-strategy", err)
	}
	if s.Schedule, err = f.schedule(p); err != nil {
		return Settings{}, err
	}
	s.Etcd = f.etcd
	_, _, fromEnv := env.Source("endpoint", p.lookup)
	s.EtcdConfigured = p.fromArgs["endpoint"] || fromEnv
	if err := s.Etcd.Validate(); err != nil {
		return Settings{}, p.etcd(err)
	}
	if err := s.Etcd.CheckFiles(); err != nil {
		return Settings{}, p.etcd(err)
	}
	if err := s.FleetLock.validate(p, s); err != nil {
		return Settings{}, err
	}
	if err := s.Config.Validate(); err != nil {
		if fe, ok := errors.AsType[*daemon.FieldError](err); ok && flagOf[fe.Field] != "" {
			return Settings{}, p.invalid(flagOf[fe.Field], errors.New(fe.Problem))
		}
		return Settings{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	// The machine reads 0 as its default; on the command line, 0 would be a mistake.
	for _, name := range []string{"reboot-timeout", "retry-initial", "retry-max", "blocker-timeout", "blocker-interval"} {
		if d, _ := p.fs.GetDuration(name); d == 0 {
			return Settings{}, p.invalid(name, errors.New("must be positive"))
		}
	}
	if s.RetryMax < s.RetryInitial {
		return Settings{}, p.invalid("retry-max", fmt.Errorf("must not be less than --retry-initial (%s)", s.RetryInitial))
	}
	for _, c := range s.PostRebootChecks {
		if c == "" {
			return Settings{}, p.invalid("post-reboot-check", errors.New("empty command"))
		}
	}
	for _, path := range s.Sentinels {
		if !filepath.IsAbs(path) {
			return Settings{}, p.invalid("reboot-sentinel", fmt.Errorf("%q is not an absolute path", path))
		}
	}
	s.RequireNewVersion = s.UpdateEngine && len(s.Sentinels) == 0 && !f.allowSameVersion
	if s.Strategy != strategy.Off && !s.UpdateEngine && len(s.Sentinels) == 0 {
		return Settings{}, p.invalid("update-engine", errors.New("with --update-engine=false, give at least one --reboot-sentinel, or nothing ever says a reboot is needed"))
	}
	for _, name := range []string{"dbus-address", "machine-id-file", "boot-id-file", "coordinator-file", "state-dir"} {
		if v, _ := p.fs.GetString(name); v == "" {
			return Settings{}, p.invalid(name, errors.New("must not be empty"))
		}
	}
	if s.Blockers, err = f.blockers.blockers(p); err != nil {
		return Settings{}, err
	}
	if s.Silence, err = f.silence.silence(p); err != nil {
		return Settings{}, err
	}
	if err := s.Budget.validate(p, s); err != nil {
		return Settings{}, err
	}
	if s.HistorySize < 1 {
		return Settings{}, p.invalid("history-size", errors.New("must be 1 or more"))
	}
	if err := validateAddress(s.MetricsAddress); err != nil {
		return Settings{}, p.invalid("metrics-address", err)
	}
	if err := validateURL(s.NotifyURL); err != nil {
		return Settings{}, p.invalid("notify-url", err)
	}
	if err := s.LogLevel.UnmarshalText([]byte(f.logLevel)); err != nil {
		return Settings{}, p.invalid("log-level", errors.New(`want "debug", "info", "warn" or "error"`))
	}
	if f.debug {
		s.LogLevel = slog.LevelDebug
		s.Warnings = append(s.Warnings, p.name("debug")+" is deprecated; use --log-level=debug")
	}
	return s, nil
}

// schedule builds the reboot windows from either form, less the blackout dates.
func (f *flags) schedule(p source) (strategy.Schedule, error) {
	s, err := f.windowSchedule(p)
	if err != nil {
		return strategy.Schedule{}, err
	}
	b, err := strategy.ParseBlackout(f.blackout)
	if err != nil {
		return strategy.Schedule{}, p.invalid("reboot-blackout", err)
	}
	return s.WithBlackout(b), nil
}

// windowSchedule builds the reboot windows from either form.
func (f *flags) windowSchedule(p source) (strategy.Schedule, error) {
	loc, err := strategy.LoadLocation(f.timezone)
	if err != nil {
		return strategy.Schedule{}, p.invalid("timezone", err)
	}
	if f.windows != "" {
		if f.windowStart != "" || f.windowLength != "" {
			return strategy.Schedule{}, fmt.Errorf("%w: %s and %s/%s both set reboot windows; use one form",
				ErrInvalid, p.name("reboot-windows"), p.name("reboot-window-start"), p.name("reboot-window-length"))
		}
		s, err := strategy.ParseSchedule(f.windows, loc)
		if err != nil {
			return strategy.Schedule{}, p.invalid("reboot-windows", err)
		}
		return s, nil
	}
	s, err := strategy.ParseLocksmithWindow(f.windowStart, f.windowLength, loc)
	if err != nil {
		flag := "reboot-window-start"
		if we, ok := errors.AsType[*strategy.LocksmithWindowError](err); ok {
			flag = "reboot-window-" + we.Field
		}
		return strategy.Schedule{}, p.invalid(flag, err)
	}
	return s, nil
}
