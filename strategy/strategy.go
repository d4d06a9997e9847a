package strategy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Strategy is how locksmithd coordinates a reboot once one is needed.
type Strategy string

const (
	// EtcdLock reboots inside the reboot window after taking a slot of the
	// etcd semaphore, so that at most max nodes of a group reboot at once.
	EtcdLock Strategy = "etcd-lock"
	// Reboot reboots inside the reboot window without asking anyone.
	Reboot Strategy = "reboot"
	// Off never reboots.
	Off Strategy = "off"
)

// strategies lists the valid strategies in the order error messages name them.
var strategies = []Strategy{EtcdLock, Reboot, Off}

// ErrUnknownStrategy is wrapped by the error [ParseStrategy] returns for a
// value that is not a strategy name.
var ErrUnknownStrategy = errors.New("unknown reboot strategy")

// ParseStrategy returns the strategy named s. Names match exactly, in lower
// case, as locksmith matches them: "etcd-lock", "reboot" or "off". The empty
// string returns [Reboot] (locksmith's default). Any other value, including
// "best-effort" (removed from locksmith) and names in another case or with
// surrounding blanks, returns an error that quotes s, lists the valid names
// and wraps [ErrUnknownStrategy].
func ParseStrategy(s string) (Strategy, error) {
	if s == "" {
		return Reboot, nil
	}
	if slices.Contains(strategies, Strategy(s)) {
		return Strategy(s), nil
	}
	var hint string
	switch lower := strings.ToLower(strings.TrimSpace(s)); {
	case lower == "best-effort":
		hint = ` ("best-effort" was removed from locksmith; "etcd-lock" is what it chose when etcd was configured)`
	case slices.Contains(strategies, Strategy(lower)):
		hint = fmt.Sprintf(" (did you mean %q? names are lower case, without blanks)", lower)
	}
	return "", fmt.Errorf("reboot strategy %q: %w; want one of %s%s", s, ErrUnknownStrategy, strategyNames(), hint)
}

// strategyNames returns the valid names, quoted and separated by commas.
func strategyNames() string {
	names := make([]string, len(strategies))
	for i, st := range strategies {
		names[i] = fmt.Sprintf("%q", string(st))
	}
	return strings.Join(names, ", ")
}
