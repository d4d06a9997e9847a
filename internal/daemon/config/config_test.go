package config

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/testkit/testcerts"
	"locksmith.dev/locksmith/strategy"
)

func parse(t *testing.T, args []string, vars map[string]string) (Settings, error) {
	t.Helper()
	var out bytes.Buffer
	return Parse(args, envflag.Map(vars), &out)
}

func TestDefaults(t *testing.T) {
	s, err := parse(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Strategy != strategy.Reboot || !s.Schedule.Empty() || !s.UpdateEngine || s.LoginDelay != 5*time.Minute ||
		s.LockTTL != 0 || s.RebootTimeout != 10*time.Minute || s.PostRebootTimeout != 30*time.Minute ||
		s.DBusAddress != DefaultDBusAddress || s.MachineIDFile != "/etc/machine-id" ||
		s.BootIDFile != "/proc/sys/kernel/random/boot_id" || s.CoordinatorFile != "/run/update-engine/coordinator.conf" ||
		strings.Join(s.Etcd.Endpoints, ",") != "http://127.0.0.1:2379" || s.LogLevel != slog.LevelInfo {
		t.Fatalf("defaults %+v", s)
	}
}

// An update.conf written for old locksmith works unchanged.
func TestLegacyEnvironment(t *testing.T) {
	ca := testcerts.WriteT(t).CACert
	s, err := parse(t, nil, map[string]string{
		"REBOOT_STRATEGY":            "etcd-lock",
		"REBOOT_WINDOW_START":        "thu 04:00",
		"REBOOT_WINDOW_LENGTH":       "1h",
		"LOCKSMITHD_ENDPOINT":        "https://10.0.0.1:2379,https://10.0.0.2:2379",
		"LOCKSMITHD_ETCD_CAFILE":     ca,
		"LOCKSMITHD_ETCD_USERNAME":   "locksmith",
		"LOCKSMITHD_ETCD_PASSWORD":   "secret",
		"LOCKSMITHD_GROUP":           "workers",
		"DBUS_SYSTEM_BUS_ADDRESS":    "unix:path=/tmp/bus",
		"LOCKSMITHD_REBOOT_SENTINEL": "/run/a,/run/b",
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Strategy != strategy.EtcdLock || s.Group != "workers" || s.DBusAddress != "unix:path=/tmp/bus" ||
		len(s.Etcd.Endpoints) != 2 || s.Etcd.CAFile != ca || s.Etcd.CertFile != "" ||
		s.Etcd.Username != "locksmith" || s.Etcd.Password != "secret" || strings.Join(s.Sentinels, " ") != "/run/a /run/b" {
		t.Fatalf("settings %+v", s)
	}
	thu4 := time.Date(2026, 3, 5, 4, 30, 0, 0, time.Local)
	if !s.Schedule.Contains(thu4) || s.Schedule.Contains(thu4.Add(time.Hour)) {
		t.Fatalf("schedule %s does not hold Thu 04:30 only", s.Schedule)
	}
}

// A host configured for old locksmith: endpoints with blanks after the
// commas, empty LOCKSMITHD_ variables in front of legacy ones (old
// locksmith read them with os.Getenv, so empty meant unset), and its
// -debug flag.
func TestOldLocksmithCompatibility(t *testing.T) {
	s, err := parse(t, []string{"-debug"}, map[string]string{
		"LOCKSMITHD_ENDPOINT":             "http://10.0.0.1:2379, http://10.0.0.2:2379,",
		"LOCKSMITHD_REBOOT_STRATEGY":      "",
		"REBOOT_STRATEGY":                 "etcd-lock",
		"LOCKSMITHD_REBOOT_WINDOW_START":  "",
		"LOCKSMITHD_REBOOT_WINDOW_LENGTH": "",
		"REBOOT_WINDOW_START":             "Thu 04:00",
		"REBOOT_WINDOW_LENGTH":            "1h",
		"LOCKSMITHD_ETCD_CAFILE":          "",
	})
	if err != nil {
		t.Fatal(err)
	}
	thu4 := time.Date(2026, 3, 5, 4, 30, 0, 0, time.Local)
	if s.Strategy != strategy.EtcdLock || !s.Schedule.Contains(thu4) || s.Schedule.Contains(thu4.Add(time.Hour)) || s.LogLevel != slog.LevelDebug {
		t.Fatalf("settings %+v, schedule %s", s, s.Schedule)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "--debug is deprecated; use --log-level=debug") {
		t.Fatalf("warnings %q", s.Warnings)
	}
	// An error names the variable whose value was used.
	_, err = parse(t, nil, map[string]string{"LOCKSMITHD_REBOOT_STRATEGY": "", "REBOOT_STRATEGY": "sometimes"})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `$REBOOT_STRATEGY (--reboot-strategy)="sometimes"`) {
		t.Fatalf("Parse = %v", err)
	}
	// LOCKSMITHD_DEBUG, as old locksmithd read it.
	s, err = parse(t, nil, map[string]string{"LOCKSMITHD_DEBUG": "true", "LOCKSMITHD_LOG_LEVEL": "warn"})
	if err != nil || s.LogLevel != slog.LevelDebug || !strings.Contains(strings.Join(s.Warnings, " "), "$LOCKSMITHD_DEBUG (--debug) is deprecated") {
		t.Fatalf("Parse = %+v, %v", s, err)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"-debug", "-version"}} {
		if _, err := parse(t, args, map[string]string{"LOCKSMITHD_LOCK_TTL": "soon"}); !errors.Is(err, ErrVersion) {
			t.Errorf("Parse(%q) = %v, want ErrVersion", args, err)
		}
	}
	if _, err := parse(t, nil, map[string]string{"LOCKSMITHD_VERSION": "true"}); err != nil {
		t.Errorf("LOCKSMITHD_VERSION is not a setting: %v", err)
	}
}

func TestPrecedence(t *testing.T) {
	s, err := parse(t, []string{"-reboot-strategy=off", "--post-reboot-check", "a, b", "--post-reboot-check=c"}, map[string]string{
		"REBOOT_STRATEGY":              "reboot",
		"LOCKSMITHD_REBOOT_STRATEGY":   "etcd-lock",
		"LOCKSMITHD_POST_REBOOT_CHECK": "ignored",
		"LOCKSMITHD_LOGIN_DELAY":       "0",
		"LOCKSMITHD_REBOOT_WINDOWS":    "Mon-Fri 04:00 1h",
		"LOCKSMITHD_TIMEZONE":          "Europe/Berlin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Strategy != strategy.Off || strings.Join(s.PostRebootChecks, "|") != "a, b|c" || s.LoginDelay != 0 {
		t.Fatalf("settings %+v", s)
	}
	if s.Schedule.Location().String() != "Europe/Berlin" || s.Schedule.String() != "Mon-Fri 04:00 1h" {
		t.Fatalf("schedule %s in %s", s.Schedule, s.Schedule.Location())
	}
}

func TestInvalid(t *testing.T) {
	certs := testcerts.WriteT(t)
	junk := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want []string
	}{
		{"unknown strategy from legacy variable", nil, map[string]string{"REBOOT_STRATEGY": "best-effort"},
			[]string{`$REBOOT_STRATEGY (--reboot-strategy)="best-effort"`, "unknown reboot strategy"}},
		{"unknown strategy flag", []string{"--reboot-strategy=sometimes"}, nil, []string{`--reboot-strategy="sometimes"`}},
		{"bad window start", nil, map[string]string{"LOCKSMITHD_REBOOT_WINDOW_START": "Thursday 04:00", "LOCKSMITHD_REBOOT_WINDOW_LENGTH": "1h"},
			[]string{`$LOCKSMITHD_REBOOT_WINDOW_START (--reboot-window-start)="Thursday 04:00"`}},
		{"bad window length", nil, map[string]string{"REBOOT_WINDOW_START": "04:00", "REBOOT_WINDOW_LENGTH": "forever"},
			[]string{`$REBOOT_WINDOW_LENGTH (--reboot-window-length)="forever"`}},
		{"start without length", []string{"--reboot-window-start=04:00"}, nil, []string{`--reboot-window-start="04:00"`, "no length"}},
		{"both window forms", []string{"--reboot-windows=04:00 1h", "--reboot-window-start=04:00", "--reboot-window-length=1h"}, nil,
			[]string{"--reboot-windows and --reboot-window-start/--reboot-window-length"}},
		{"bad extended windows", []string{"--reboot-windows=04:00pm 1h"}, nil, []string{`--reboot-windows="04:00pm 1h"`}},
		{"bad time zone", nil, map[string]string{"LOCKSMITHD_TIMEZONE": "Mars/Olympus"}, []string{`$LOCKSMITHD_TIMEZONE (--timezone)="Mars/Olympus"`}},
		{"bad duration", nil, map[string]string{"LOCKSMITHD_LOCK_TTL": "soon"}, []string{"LOCKSMITHD_LOCK_TTL", `"soon"`, "--lock-ttl"}},
		{"negative duration", []string{"--login-delay=-1m"}, nil, []string{`--login-delay="-1m0s"`, "negative"}},
		{"log level", []string{"--log-level=verbose"}, nil, []string{`--log-level="verbose": want "debug", "info", "warn" or "error"`}},
		{"zero reboot timeout", []string{"--reboot-timeout=0"}, nil, []string{`--reboot-timeout="0s"`}},
		{"bad endpoint", nil, map[string]string{"LOCKSMITHD_ENDPOINT": "10.0.0.1:2379"},
			[]string{`$LOCKSMITHD_ENDPOINT (--endpoint)="10.0.0.1:2379" is not an http://`}},
		{"cert without key", []string{"--etcd-certfile=/c.pem"}, nil, []string{`--etcd-certfile="/c.pem" is a client certificate without its key`}},
		{"password without user", nil, map[string]string{"LOCKSMITHD_ETCD_PASSWORD": "s3cret"},
			[]string{"$LOCKSMITHD_ETCD_PASSWORD (--etcd-password) is given without a user name"}},
		{"missing CA file", nil, map[string]string{"LOCKSMITHD_ETCD_CAFILE": "/nonexistent"},
			[]string{`$LOCKSMITHD_ETCD_CAFILE (--etcd-cafile)="/nonexistent" is unusable`, "no such file"}},
		{"CA file without certificate", []string{"--etcd-cafile=" + junk}, nil, []string{`--etcd-cafile="` + junk + `"`, "no PEM certificate"}},
		{"missing key file", []string{"--etcd-certfile=" + certs.ClientCert, "--etcd-keyfile=/nonexistent/key.pem"}, nil,
			[]string{`--etcd-keyfile="/nonexistent/key.pem" is unusable`}},
		{"missing password file", nil, map[string]string{"LOCKSMITHD_ETCD_USERNAME": "u", "LOCKSMITHD_ETCD_PASSWORD_FILE": "/nonexistent"},
			[]string{`$LOCKSMITHD_ETCD_PASSWORD_FILE (--etcd-password-file)="/nonexistent" is unusable`}},
		{"relative sentinel", []string{"--reboot-sentinel=reboot-required"}, nil, []string{`"reboot-required" is not an absolute path`}},
		{"no reboot source", []string{"--update-engine=false"}, nil, []string{"--update-engine", "--reboot-sentinel"}},
		{"empty check", []string{"--post-reboot-check="}, nil, []string{"--post-reboot-check", "empty command"}},
		{"bad log level", []string{"--log-level=loud"}, nil, []string{`--log-level="loud"`}},
		{"metrics address without port", []string{"--metrics-address=localhost"}, nil, []string{`--metrics-address="localhost"`, "HOST:PORT"}},
		{"metrics port not a number", nil, map[string]string{"LOCKSMITHD_METRICS_ADDRESS": ":http"}, []string{"$LOCKSMITHD_METRICS_ADDRESS", "not a number"}},
		{"notify URL not http", []string{"--notify-url=ftp://hooks.example/x"}, nil, []string{`--notify-url="ftp://hooks.example/x"`, "not an http or https URL"}},
		{"notify URL without host", []string{"--notify-url=https:///x"}, nil, []string{"--notify-url", "has no host"}},
		{"bad alert filter", []string{"--block-on-alerts=http://prom:9090", "--alert-filter=Kube(.*"}, nil,
			[]string{`--alert-filter="Kube(.*"`, "missing closing )"}},
		{"alerts URL not http", []string{"--block-on-alerts=prom:9090"}, nil, []string{`--block-on-alerts="prom:9090"`, "not an http or https URL"}},
		{"query without Prometheus", []string{"--block-on-query=up == 0"}, nil, []string{"--block-on-query", "needs --prometheus-url"}},
		{"match-only without filter", []string{"--alert-filter-match-only"}, nil, []string{"--alert-filter-match-only", "needs --alert-filter"}},
		{"bad alert labels", []string{"--alert-labels=severity"}, nil, []string{"alert-labels"}},
		{"zero blocker timeout", []string{"--blocker-timeout=0"}, nil, []string{`--blocker-timeout="0s"`, "must be positive"}},
		{"bad blackout", nil, map[string]string{"LOCKSMITHD_REBOOT_BLACKOUT": "Dec 24-Jan 32"},
			[]string{`$LOCKSMITHD_REBOOT_BLACKOUT (--reboot-blackout)="Dec 24-Jan 32"`, `day "32" of Jan`}},
		{"negative max failures", []string{"--max-failures=-1"}, nil, []string{`--max-failures="-1"`, "must be 0"}},
		{"budget with FleetLock", []string{"--max-failures=1", "--fleetlock-url=http://fl.example"}, nil, []string{"--max-failures", "FleetLock server keeps no failure budget"}},
		{"alertmanager URL not http", []string{"--alertmanager-url=am:9093"}, nil, []string{`--alertmanager-url="am:9093"`, "not an http or https URL"}},
		{"bad silence matchers", []string{"--silence-matchers=instance"}, nil, []string{"--silence-matchers", "invalid silence matcher"}},
		{"history size", []string{"--history-size=0"}, nil, []string{`--history-size="0"`, "must be 1 or more"}},
		{"unknown flag", []string{"--frobnicate"}, nil, []string{"frobnicate"}},
		{"positional argument", []string{"now"}, nil, []string{`unexpected argument "now"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.args, tt.vars)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse = %v, want ErrInvalid", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := Parse([]string{"--help"}, envflag.Map(nil), &out)
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("Parse(--help) = %v", err)
	}
	for _, want := range []string{"--reboot-strategy", "$LOCKSMITHD_REBOOT_STRATEGY, $REBOOT_STRATEGY", "$REBOOT_WINDOW_START",
		"--lock-ttl", "$LOCKSMITHD_LOCK_TTL", "$DBUS_SYSTEM_BUS_ADDRESS", "--post-reboot-check", "--version", "--debug is still accepted"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %s:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "  --debug") {
		t.Errorf("help lists the deprecated --debug:\n%s", out.String())
	}
}

func TestRetryBounds(t *testing.T) {
	s, err := parse(t, []string{"--retry-initial=1s", "--retry-max=30s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.RetryInitial != time.Second || s.RetryMax != 30*time.Second {
		t.Fatalf("retry %s..%s, want 1s..30s", s.RetryInitial, s.RetryMax)
	}
	for _, args := range [][]string{{"--retry-initial=0"}, {"--retry-initial=1m", "--retry-max=1s"}} {
		if _, err := parse(t, args, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", args, err)
		}
	}
}

// A LOCKSMITHD_* variable that names no option is a warning naming the closest one.
func TestUnknownVariable(t *testing.T) {
	s, err := parse(t, nil, map[string]string{"LOCKSMITHD_LOCK_TL": "1h", "REBOOT_STRATEGY": "off"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 1 || s.Warnings[0] != "$LOCKSMITHD_LOCK_TL names no option (did you mean $LOCKSMITHD_LOCK_TTL?); it is ignored" {
		t.Fatalf("warnings %q", s.Warnings)
	}
}

func TestRequireNewVersion(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{nil, true},
		{[]string{"--allow-same-version"}, false},
		{[]string{"--reboot-sentinel=/run/reboot-required"}, false},
	} {
		s, err := parse(t, tt.args, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.RequireNewVersion != tt.want {
			t.Errorf("%q: RequireNewVersion %v, want %v", tt.args, s.RequireNewVersion, tt.want)
		}
	}
}

func TestBlackout(t *testing.T) {
	s, err := parse(t, []string{"--reboot-windows=04:00 1h", "--timezone=Europe/Berlin", "--reboot-blackout=dec 24-jan 2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := s.Schedule.Blackout().String(); b != "Dec 24-Jan 2" || s.Schedule.String() != "04:00 1h" {
		t.Errorf("windows %q, blackout %q", s.Schedule, b)
	}
	christmas := time.Date(2026, 12, 25, 4, 30, 0, 0, s.Schedule.Location())
	if s.Schedule.Contains(christmas) || !s.Schedule.Contains(christmas.AddDate(0, 0, 10)) {
		t.Errorf("the window is open at Christmas or closed ten days later")
	}
}

func TestBlockers(t *testing.T) {
	s, err := parse(t, []string{"--block-on-alerts=http://prom:9090", "--alert-filter=^Watchdog$", "--alert-firing-only",
		"--alert-labels=severity=critical", "--block-on-query=up == 0", "--reboot-blocker=test -e /ok", "--reboot-blocker=true"},
		map[string]string{"LOCKSMITHD_BLOCKER_INTERVAL": "10s"})
	if err != nil {
		t.Fatal(err)
	}
	b := s.Blockers
	if b.AlertsURL != "http://prom:9090" || b.Filter.String() != "^Watchdog$" || !b.FiringOnly || b.MatchOnly ||
		b.Labels["severity"] != "critical" || len(b.Labels) != 1 {
		t.Errorf("alert blocker %+v", b)
	}
	if b.Query != "up == 0" || b.QueryURL != "http://prom:9090" {
		t.Errorf("query %q on %q, want up == 0 on the alerts' Prometheus", b.Query, b.QueryURL)
	}
	if len(b.Commands) != 2 || b.Commands[0] != "test -e /ok" {
		t.Errorf("commands %q", b.Commands)
	}
	if s.BlockerInterval != 10*time.Second || s.BlockerTimeout != 30*time.Second {
		t.Errorf("blocker interval %s, timeout %s", s.BlockerInterval, s.BlockerTimeout)
	}
}
