package config

import (
	"cmp"
	"errors"
	"regexp"

	"github.com/spf13/pflag"
)

// Blockers is what can hold a reboot back, as the flags say (see package blocker).
type Blockers struct {
	// AlertsURL is the Prometheus whose alerts block (--block-on-alerts); "" for none.
	AlertsURL string
	// Filter, MatchOnly, FiringOnly and Labels select the alerts that count.
	Filter     *regexp.Regexp
	MatchOnly  bool
	FiringOnly bool
	Labels     map[string]string
	// QueryURL is the Prometheus that Query is asked of; Query "" for none.
	QueryURL, Query string
	// Commands block while they exit non-zero.
	Commands []string
	// FailOpen lets reboots go while Prometheus cannot be asked.
	FailOpen bool
}

// blockerFlags holds the raw values of the blocker flags.
type blockerFlags struct {
	b             Blockers
	filter, query string
	prometheusURL string
}

func (f *blockerFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.b.AlertsURL, "block-on-alerts", "", "Prometheus URL (e.g. http://prometheus:9090): no slot is taken, and no reboot happens, while it has alerts (ALERTS) that count")
	fs.StringVar(&f.filter, "alert-filter", "", "regular expression of alert names that do not count (with --alert-filter-match-only: the only ones that count), as kured's --alert-filter-regexp")
	fs.BoolVar(&f.b.MatchOnly, "alert-filter-match-only", false, "only the alerts that --alert-filter matches count")
	fs.BoolVar(&f.b.FiringOnly, "alert-firing-only", false, "only firing alerts count, not pending ones")
	fs.StringToStringVar(&f.b.Labels, "alert-labels", nil, `only alerts with all these labels count, e.g. "severity=critical,team=storage"`)
	fs.StringVar(&f.query, "block-on-query", "", `PromQL expression that blocks reboots while its result is not empty, e.g. 'kube_node_spec_unschedulable > 0'`)
	fs.StringVar(&f.prometheusURL, "prometheus-url", "", "Prometheus URL that --block-on-query asks (default: the --block-on-alerts URL)")
	fs.StringArrayVar(&f.b.Commands, "reboot-blocker", nil, "shell command that blocks reboots while it exits non-zero; repeat for several")
	fs.BoolVar(&f.b.FailOpen, "prometheus-fail-open", false, "let reboots go while Prometheus cannot be asked (by default that blocks them, and says so)")
}

// blockers validates the raw values.
func (f *blockerFlags) blockers(p source) (Blockers, error) {
	b := f.b
	if err := validateURL(b.AlertsURL); err != nil {
		return Blockers{}, p.invalid("block-on-alerts", err)
	}
	if err := validateURL(f.prometheusURL); err != nil {
		return Blockers{}, p.invalid("prometheus-url", err)
	}
	if f.filter != "" {
		re, err := regexp.Compile(f.filter)
		if err != nil {
			return Blockers{}, p.invalid("alert-filter", err)
		}
		b.Filter = re
	}
	if b.MatchOnly && b.Filter == nil {
		return Blockers{}, p.invalid("alert-filter-match-only", errors.New("needs --alert-filter"))
	}
	if f.query != "" {
		b.Query, b.QueryURL = f.query, cmp.Or(f.prometheusURL, b.AlertsURL)
		if b.QueryURL == "" {
			return Blockers{}, p.invalid("block-on-query", errors.New("needs --prometheus-url (or --block-on-alerts) to ask"))
		}
	}
	for _, c := range b.Commands {
		if c == "" {
			return Blockers{}, p.invalid("reboot-blocker", errors.New("empty command"))
		}
	}
	return b, nil
}
