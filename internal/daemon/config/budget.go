package config

import (
	"errors"
	"time"

	"github.com/spf13/pflag"
)

// Budget is the group's budget of failed reboots (see semaphore.Fail).
type Budget struct {
	// MaxFailures is how many failed reboots within Window freeze the group; 0 for no budget.
	MaxFailures int
	Window      time.Duration
}

func (b *Budget) register(fs *pflag.FlagSet) {
	fs.IntVar(&b.MaxFailures, "max-failures", 0, "freeze the group (max 0, until locksmithctl resume) once this many of its nodes' reboots failed within --failure-window: post-reboot checks that give up, a host still up after --reboot-timeout, a node back on the OS version it left. 0: no budget")
	fs.DurationVar(&b.Window, "failure-window", 24*time.Hour, "how long a failed reboot counts against --max-failures")
}

// validate checks the budget; it needs the semaphore in etcd.
func (b Budget) validate(p source, s Settings) error {
	switch {
	case b.MaxFailures < 0:
		return p.invalid("max-failures", errors.New("must be 0 (no budget) or more"))
	case b.Window <= 0:
		return p.invalid("failure-window", errors.New("must be positive"))
	case b.MaxFailures > 0 && s.FleetLock.URL != "":
		return p.invalid("max-failures", errors.New("needs the semaphore in etcd; a FleetLock server keeps no failure budget"))
	}
	return nil
}
