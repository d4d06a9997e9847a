package service

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"locksmith.dev/locksmith/internal/daemon/config"
	"locksmith.dev/locksmith/silence"
)

// silencer silences the node's alerts in Alertmanager while it reboots (daemon.Silencer).
type silencer struct {
	am       silence.Client
	matchers []silence.Matcher
	duration time.Duration
	hostname string
	log      *slog.Logger
}

// newSilencer returns the silencer that s configures for the machine, or nil for none.
func newSilencer(s config.Silence, machineID, hostname string, log *slog.Logger) *silencer {
	if s.AlertmanagerURL == "" {
		return nil
	}
	m := s.Matchers
	if m == nil {
		m = silence.InstanceMatchers(hostname)
	}
	return &silencer{am: silence.Client{URL: s.AlertmanagerURL, CreatedBy: "locksmithd " + machineID, HTTP: &http.Client{}},
		matchers: m, duration: s.Duration, hostname: hostname, log: log}
}

// Silence creates the silence.
func (s *silencer) Silence(ctx context.Context) error {
	id, err := s.am.Create(ctx, s.matchers, s.duration, fmt.Sprintf("planned reboot of %s by locksmithd", s.hostname))
	if err == nil {
		s.log.Info("created an Alertmanager silence for the reboot", "silence_id", id, "for", s.duration)
	}
	return err
}

// Unsilence expires the silences this machine created.
func (s *silencer) Unsilence(ctx context.Context) error {
	n, err := s.am.ExpireMine(ctx)
	if n > 0 {
		s.log.Info("expired the Alertmanager silences of the reboot", "count", n)
	}
	return err
}
