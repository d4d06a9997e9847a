package daemon_test

import (
	"errors"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/strategy"
)

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*daemon.Config, *daemon.Deps)
	}{
		{"unknown strategy", func(c *daemon.Config, _ *daemon.Deps) { c.Strategy = "best-effort" }},
		{"etcd-lock without lock", func(_ *daemon.Config, d *daemon.Deps) { d.Lock = nil }},
		{"reboot without rebooter", func(c *daemon.Config, d *daemon.Deps) { c.Strategy, d.Rebooter = strategy.Reboot, nil }},
		{"without update source", func(_ *daemon.Config, d *daemon.Deps) { d.Updates = nil }},
		{"without machine id", func(c *daemon.Config, _ *daemon.Deps) { c.MachineID = "" }},
		{"without boot id", func(c *daemon.Config, _ *daemon.Deps) { c.BootID = "" }},
		{"negative delay", func(c *daemon.Config, _ *daemon.Deps) { c.LoginDelay = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t)
			tt.mod(&n.cfg, &n.deps)
			if _, err := daemon.New(n.cfg, n.deps); !errors.Is(err, daemon.ErrInvalidConfig) {
				t.Fatalf("New = %v, want ErrInvalidConfig", err)
			}
		})
	}
	n := newNode(t)
	n.cfg.Strategy = strategy.Off
	n.deps.Updates, n.deps.Rebooter, n.deps.Lock = nil, nil, nil
	if _, err := daemon.New(n.cfg, n.deps); err != nil {
		t.Fatalf("strategy off needs no collaborators: %v", err)
	}
}

func TestRunOnce(t *testing.T) {
	n := newNode(t)
	n.cfg.Strategy = strategy.Off
	m, err := daemon.New(n.cfg, n.deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(t.Context()); err == nil {
		t.Fatal("second Run succeeded")
	}
}

func TestWatchdog(t *testing.T) {
	n := newNode(t)
	n.cfg.WatchdogInterval = 3 * time.Second
	n.start()
	n.rec.waitState(t, daemon.StateIdle)
	n.advance(3 * time.Second)
	n.rec.waitNote(t, "WATCHDOG=1")
	n.rec.waitNote(t, "READY=1")
}

// Validate names the field, so that locksmithd's configuration can name its flag.
func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		field string
		mod   func(*daemon.Config)
	}{
		{"Strategy", func(c *daemon.Config) { c.Strategy = "sometimes" }},
		{"LockTTL", func(c *daemon.Config) { c.LockTTL = -time.Second }},
		{"RetryMax", func(c *daemon.Config) { c.RetryMax = -time.Second }},
		{"WatchdogInterval", func(c *daemon.Config) { c.WatchdogInterval = -time.Second }},
	}
	for _, tt := range tests {
		cfg := daemon.Config{Strategy: strategy.Reboot}
		tt.mod(&cfg)
		fe, ok := errors.AsType[*daemon.FieldError](cfg.Validate())
		if !ok || fe.Field != tt.field || !errors.Is(fe, daemon.ErrInvalidConfig) {
			t.Errorf("Validate with a bad %s = %v, want a FieldError naming it", tt.field, fe)
		}
	}
	if err := (daemon.Config{Strategy: strategy.Off}).Validate(); err != nil {
		t.Errorf("Validate of a valid config: %v", err)
	}
}
