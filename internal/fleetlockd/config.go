// Package fleetlockd is locksmith-fleetlockd, the FleetLock server, as a library: its
// configuration from flags and environment, its listeners and its life.
package fleetlockd

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/fleetlock/server"
	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/etcdclient"
)

// ErrInvalid is wrapped by every error due to the configuration; the program exits with 2.
var ErrInvalid = errors.New("invalid configuration")

// ErrHelp is returned after printing the usage for --help.
var ErrHelp = pflag.ErrHelp

// env maps the flags to variables: --listen-address is LOCKSMITH_FLEETLOCKD_LISTEN_ADDRESS.
var env = envflag.Env{Prefix: "LOCKSMITH_FLEETLOCKD"}

// Settings is the validated configuration.
type Settings struct {
	Listen        string // address of the FleetLock endpoints (and of /metrics and /healthz without MetricsListen)
	MetricsListen string // address of /metrics and /healthz; "" for the FleetLock listener
	CertFile      string // TLS certificate of the server; "" serves plain HTTP
	KeyFile       string
	ClientCAFile  string // CA of the client certificates; set, it requires them and binds ids to them
	ClaimTimeout  time.Duration
	MaxWait       time.Duration // 0 turns the long-poll extension off
	Etcd          etcdclient.Config
	LogLevel      slog.Level
}

// Parse reads the configuration from args (without the program name) and the variables lookup
// finds, and validates it. For --help it prints the usage to usage and returns ErrHelp; every
// other error wraps ErrInvalid and names the flag.
func Parse(args []string, lookup envflag.LookupFunc, usage io.Writer) (Settings, error) {
	fs := pflag.NewFlagSet("locksmith-fleetlockd", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var s Settings
	var logLevel string
	fs.StringVar(&s.Listen, "listen-address", ":3333", "address (host:port) of the FleetLock endpoints /v1/pre-reboot and /v1/steady-state")
	fs.StringVar(&s.MetricsListen, "metrics-address", "", "address of /metrics (Prometheus) and /healthz; empty serves them on --listen-address")
	fs.StringVar(&s.CertFile, "tls-cert-file", "", "PEM certificate of the server: serve HTTPS (with --tls-key-file)")
	fs.StringVar(&s.KeyFile, "tls-key-file", "", "PEM key of --tls-cert-file")
	fs.StringVar(&s.ClientCAFile, "client-ca-file", "", "PEM CA of the client certificates: require one, and let a client lock and unlock only the id its certificate names (common name, DNS name, e-mail or URI); needs HTTPS")
	fs.DurationVar(&s.ClaimTimeout, "claim-timeout", server.DefaultClaimTimeout, "how long a client that found no free slot keeps its place in the queue, and a slot admitted to it, without coming back; no admitted slot stays idle longer (Zincati polls about every 5 minutes)")
	fs.DurationVar(&s.MaxWait, "max-wait", server.DefaultMaxWait, "longest wait of the long-poll extension (header fleet-lock-wait) for one pre-reboot; 0 turns it off")
	s.Etcd.RegisterFlags(fs)
	fs.StringVar(&logLevel, "log-level", "info", `log level: "debug", "info", "warn" or "error"`)
	help := fs.BoolP("help", "h", false, "show this help")
	env.Document(fs, "help")
	if err := fs.Parse(envflag.NormalizeArgs(fs, args)); err != nil {
		return Settings{}, fmt.Errorf("%w: %w (see --help)", ErrInvalid, err)
	}
	if *help {
		fmt.Fprintf(usage, "Usage: locksmith-fleetlockd [flags]\n\nlocksmith-fleetlockd is a FleetLock server (the reboot-lock protocol of Zincati) on\nlocksmith's etcd semaphore: Zincati nodes and locksmithd nodes share one max.\n\nFlags (each also read from the environment variable in brackets; a flag on the\ncommand line wins):\n%s", fs.FlagUsages())
		return Settings{}, ErrHelp
	}
	if fs.NArg() > 0 {
		return Settings{}, fmt.Errorf("%w: unexpected argument %q", ErrInvalid, fs.Arg(0))
	}
	if err := env.Apply(fs, lookup, "help"); err != nil {
		return Settings{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return s, s.validate(fs, logLevel)
}

// validate checks s; fs gives the flags' values for the messages.
func (s *Settings) validate(fs *pflag.FlagSet, logLevel string) error {
	invalid := func(flag string, problem string) error {
		return fmt.Errorf("%w: --%s=%q: %s", ErrInvalid, flag, fs.Lookup(flag).Value.String(), problem)
	}
	for _, flag := range []string{"listen-address", "metrics-address"} {
		v, _ := fs.GetString(flag)
		if v == "" && flag == "metrics-address" {
			continue
		}
		if _, _, err := net.SplitHostPort(v); err != nil {
			return invalid(flag, "not a host:port address")
		}
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return invalid("tls-cert-file", "--tls-cert-file and --tls-key-file go together")
	}
	if s.ClientCAFile != "" && s.CertFile == "" {
		return invalid("client-ca-file", "client certificates need HTTPS: set --tls-cert-file and --tls-key-file")
	}
	if s.ClaimTimeout <= 0 {
		return invalid("claim-timeout", "must be positive")
	}
	if s.MaxWait < 0 {
		return invalid("max-wait", "must not be negative")
	}
	if err := s.Etcd.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := s.Etcd.CheckFiles(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := s.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return invalid("log-level", `want "debug", "info", "warn" or "error"`)
	}
	return nil
}
