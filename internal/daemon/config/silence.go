package config

import (
	"errors"
	"time"

	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/silence"
)

// Silence is how the node silences its alerts while it reboots (see package silence).
type Silence struct {
	// AlertmanagerURL is where; "" for no silences.
	AlertmanagerURL string
	// Matchers select the alerts; nil for the node's instance label (by its host name).
	Matchers []silence.Matcher
	// Duration is how long a silence lasts unless the node expires it after its release.
	Duration time.Duration
}

// silenceFlags holds the raw values of the silence flags.
type silenceFlags struct {
	s        Silence
	matchers string
}

func (f *silenceFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.s.AlertmanagerURL, "alertmanager-url", "", "Alertmanager URL (e.g. http://alertmanager:9093): silence this node's alerts right before it reboots, and expire the silence once its slot is given back; a silence that cannot be made does not hold the reboot back")
	fs.StringVar(&f.matchers, "silence-matchers", "", `the alerts the silence covers, e.g. 'instance=~"web-1(:[0-9]+)?",job!=blackbox' (default: instance is the host name, with or without a port)`)
	fs.DurationVar(&f.s.Duration, "silence-duration", 30*time.Minute, "how long a silence lasts if the node does not expire it (the expected down time and checks, with room)")
}

// silence validates the raw values.
func (f *silenceFlags) silence(p source) (Silence, error) {
	s := f.s
	if err := validateURL(s.AlertmanagerURL); err != nil {
		return Silence{}, p.invalid("alertmanager-url", err)
	}
	if f.matchers != "" {
		m, err := silence.ParseMatchers(f.matchers)
		if err != nil {
			return Silence{}, p.invalid("silence-matchers", err)
		}
		s.Matchers = m
	}
	if s.Duration <= 0 {
		return Silence{}, p.invalid("silence-duration", errors.New("must be positive"))
	}
	return s, nil
}
