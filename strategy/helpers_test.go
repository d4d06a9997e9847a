package strategy_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"locksmith.dev/locksmith/strategy"
)

func quote(s string) string { return strconv.Quote(s) }

// location loads an IANA time zone or fails the test.
func location(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := strategy.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at parses an RFC 3339 timestamp or fails the test.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// schedule parses an extended-form spec in the named zone or fails the test.
func schedule(t testing.TB, spec, zone string) strategy.Schedule {
	t.Helper()
	s, err := strategy.ParseSchedule(spec, location(t, zone))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkError fails t unless err, returned by call, wraps sentinel and reads
// exactly want.
func checkError(t *testing.T, call string, err, sentinel error, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s returned no error; want %s", call, want)
	case !errors.Is(err, sentinel):
		t.Errorf("%s error %v does not wrap %v", call, err, sentinel)
	case err.Error() != want:
		t.Errorf("%s error\n got %s\nwant %s", call, err, want)
	}
}
