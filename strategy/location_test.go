package strategy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/strategy"
)

func TestLoadLocation(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "Local"},
		{"Local", "Local"},
		{"UTC", "UTC"},
		{"America/New_York", "America/New_York"},
		{"Europe/Berlin", "Europe/Berlin"},
		{"Pacific/Apia", "Pacific/Apia"},
	} {
		loc, err := strategy.LoadLocation(tc.in)
		if err != nil {
			t.Errorf("LoadLocation(%q): %v", tc.in, err)
			continue
		}
		if loc.String() != tc.want {
			t.Errorf("LoadLocation(%q) = %q, want %q", tc.in, loc, tc.want)
		}
	}
	if loc, _ := strategy.LoadLocation(""); loc != time.Local {
		t.Errorf(`LoadLocation("") = %p, want time.Local %p`, loc, time.Local)
	}
}

func TestLoadLocationErrors(t *testing.T) {
	for _, in := range []string{"Mars/Olympus_Mons", "Europe/berlin", "../../etc/passwd", "local", " UTC"} {
		loc, err := strategy.LoadLocation(in)
		if err == nil {
			t.Errorf("LoadLocation(%q) = %v, nil; want an error", in, loc)
			continue
		}
		if !errors.Is(err, strategy.ErrUnknownLocation) {
			t.Errorf("LoadLocation(%q) error %v does not wrap ErrUnknownLocation", in, err)
		}
		prefix := "load time zone " + quote(in) + ": unknown time zone"
		suffix := `; want an IANA name such as "Europe/Berlin", "UTC" or "Local"`
		if strings.Count(err.Error(), in) > 1 && !strings.Contains(err.Error(), "invalid") {
			t.Errorf("LoadLocation(%q) error names the zone twice: %s", in, err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) {
			t.Errorf("LoadLocation(%q) error\n got %s\nwant %s...%s", in, msg, prefix, suffix)
		}
	}
}
