// Package blocker holds what can hold a reboot back from outside locksmith: Prometheus alerts
// (with kured's flags and semantics), a PromQL expression, a command. Each says "" when the
// reboot may go, or why not in words; locksmithd asks them before it takes a slot and again
// right before it reboots. Each Blocked returns the reason it blocks ("" when it does not) and
// the error that kept it from telling, if any: with FailOpen, a Prometheus that cannot be asked
// gives no reason but that error, to be logged.
package blocker

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"locksmith.dev/locksmith/internal/promapi"
)

// Alerts blocks while Prometheus has alerts that count: kured's --prometheus-url with
// --alert-filter-regexp, --alert-filter-match-only and --alert-firing-only, and matchers on the
// alerts' labels.
type Alerts struct {
	Prometheus promapi.Client
	// Filter, if set, names the alerts that do not count; with MatchOnly, the only ones that do.
	Filter    *regexp.Regexp
	MatchOnly bool
	// FiringOnly counts firing alerts only, not pending ones.
	FiringOnly bool
	// Labels, if set, must all match an alert's labels for it to count.
	Labels map[string]string
	// FailOpen lets the reboot go when Prometheus cannot be asked; by default that blocks.
	FailOpen bool
}

// Name is "alerts".
func (Alerts) Name() string { return "alerts" }

// Blocked queries ALERTS and returns "" when no alert counts, else the alerts that do.
func (a Alerts) Blocked(ctx context.Context) (string, error) {
	samples, err := a.Prometheus.Query(ctx, "ALERTS")
	if err != nil {
		return unreachable(err, a.FailOpen)
	}
	var names []string
	for _, s := range samples {
		if a.counts(s.Labels) {
			name := s.Labels["alertname"]
			if st := s.Labels["alertstate"]; st != "firing" {
				name += " (" + st + ")"
			}
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	slices.Sort(names)
	names = slices.Compact(names)
	return fmt.Sprintf("Prometheus alerts active: %s", strings.Join(names, ", ")), nil
}

// counts reports whether the alert with labels counts.
func (a Alerts) counts(labels map[string]string) bool {
	if a.FiringOnly && labels["alertstate"] != "firing" {
		return false
	}
	if a.Filter != nil && a.Filter.MatchString(labels["alertname"]) != a.MatchOnly {
		return false
	}
	for k, v := range a.Labels {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// Query blocks while a PromQL expression has a non-empty result.
type Query struct {
	Prometheus promapi.Client
	Expr       string
	// FailOpen lets the reboot go when Prometheus cannot be asked; by default that blocks.
	FailOpen bool
}

// Name is "query".
func (Query) Name() string { return "query" }

// Blocked evaluates Expr and returns "" when its result is empty, else how many series it has.
func (q Query) Blocked(ctx context.Context) (string, error) {
	samples, err := q.Prometheus.Query(ctx, q.Expr)
	if err != nil {
		return unreachable(err, q.FailOpen)
	}
	if len(samples) == 0 {
		return "", nil
	}
	return fmt.Sprintf("PromQL %q has %d result(s)", q.Expr, len(samples)), nil
}

// Command blocks while a shell command exits non-zero.
type Command struct {
	// Run runs the command (locksmithd's runner: /bin/sh, in the unit's sandbox).
	Run func(ctx context.Context, command string) error
	Cmd string
}

// Name is "command".
func (Command) Name() string { return "command" }

// Blocked runs the command and returns "" when it exits 0, else how it failed.
func (c Command) Blocked(ctx context.Context) (string, error) {
	if err := c.Run(ctx, c.Cmd); err != nil {
		return fmt.Sprintf("reboot blocker `%s`: %v", c.Cmd, err), nil
	}
	return "", nil
}

// unreachable says that Prometheus could not be asked: a block, unless failOpen.
func unreachable(err error, failOpen bool) (string, error) {
	if failOpen {
		return "", err
	}
	return fmt.Sprintf("cannot ask Prometheus, so not rebooting (fail-closed): %v", err), err
}
