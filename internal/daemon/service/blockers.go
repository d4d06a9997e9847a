package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"locksmith.dev/locksmith/blocker"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/daemon/config"
	"locksmith.dev/locksmith/internal/promapi"
)

// newBlockers builds the blockers that s configures, in the order the machine asks them:
// alerts, the PromQL query, then the commands. It asks Prometheus once, within timeout, to
// check the configuration: an expression that Prometheus rejects is an error wrapping
// config.ErrInvalid; a Prometheus that cannot be asked now is only logged.
func newBlockers(ctx context.Context, s config.Blockers, timeout time.Duration, log *slog.Logger) ([]daemon.Blocker, error) {
	hc := &http.Client{}
	var bs []daemon.Blocker
	if s.AlertsURL != "" {
		bs = append(bs, blocker.Alerts{Prometheus: promapi.Client{URL: s.AlertsURL, HTTP: hc}, Filter: s.Filter, MatchOnly: s.MatchOnly,
			FiringOnly: s.FiringOnly, Labels: s.Labels, FailOpen: s.FailOpen})
	}
	if s.Query != "" {
		q := blocker.Query{Prometheus: promapi.Client{URL: s.QueryURL, HTTP: hc}, Expr: s.Query, FailOpen: s.FailOpen}
		if err := checkQuery(ctx, q, timeout, log); err != nil {
			return nil, err
		}
		bs = append(bs, q)
	}
	for _, c := range s.Commands {
		bs = append(bs, blocker.Command{Run: daemon.ShellRunner{}.Run, Cmd: c})
	}
	return bs, nil
}

// checkQuery asks Prometheus for q once: an error if it rejects the expression, a warning if it
// cannot be asked.
func checkQuery(ctx context.Context, q blocker.Query, timeout time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := q.Prometheus.Query(ctx, q.Expr)
	switch {
	case errors.Is(err, promapi.ErrBadQuery):
		return fmt.Errorf("%w: --block-on-query: %w", config.ErrInvalid, err)
	case err != nil:
		log.Warn("cannot check --block-on-query now: Prometheus cannot be asked", "error", err, "fail_open", q.FailOpen)
	}
	return nil
}

// blockerNames names the blockers for the start-up log, e.g. "alerts,command".
func blockerNames(bs []daemon.Blocker) string {
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = b.Name()
	}
	return strings.Join(names, ",")
}
