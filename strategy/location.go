package strategy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	// The time zone database is embedded so that IANA names resolve on hosts
	// without /usr/share/zoneinfo (minimal images, containers).
	_ "time/tzdata"
)

// ErrUnknownLocation is wrapped by the error [LoadLocation] returns for a name
// that is not a known time zone.
var ErrUnknownLocation = errors.New("unknown time zone")

// LoadLocation returns the time zone called name. The empty string and
// "Local" return [time.Local], the host's zone (locksmith's only choice; Go
// reads it from $TZ or /etc/localtime and uses UTC when neither is there).
// "UTC" returns [time.UTC]. Any other name is looked up as an IANA name
// ("Europe/Berlin") with [time.LoadLocation], in the host's database or, when
// that lacks it, in the one embedded in this package. An unknown or malformed
// name returns an error that quotes it and wraps [ErrUnknownLocation].
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Go's own text repeats the name ("unknown time zone X"); a malformed name gets its own.
		why := ""
		if msg := err.Error(); !strings.HasPrefix(msg, "unknown time zone") {
			why = " (" + msg + ")"
		}
		return nil, fmt.Errorf("load time zone %q: %w%s; want an IANA name such as \"Europe/Berlin\", \"UTC\" or \"Local\"",
			name, ErrUnknownLocation, why)
	}
	return loc, nil
}
