package strategy_test

import (
	"errors"
	"testing"

	"github.com/flatcar/locksmith/strategy"
)

func TestParseStrategy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want strategy.Strategy
	}{
		{"", strategy.Reboot},
		{"etcd-lock", strategy.EtcdLock},
		{"reboot", strategy.Reboot},
		{"off", strategy.Off},
	} {
		got, err := strategy.ParseStrategy(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseStrategy(%q) = %q, %v; want %q, nil", tc.in, got, err, tc.want)
		}
	}
}

func TestParseStrategyErrors(t *testing.T) {
	const valid = `want one of "etcd-lock", "reboot", "off"`
	for _, tc := range []struct{ in, want string }{
		{"best-effort", `reboot strategy "best-effort": unknown reboot strategy; ` + valid +
			` ("best-effort" was removed from locksmith; "etcd-lock" is what it chose when etcd was configured)`},
		{"Reboot", `reboot strategy "Reboot": unknown reboot strategy; ` + valid +
			` (did you mean "reboot"? names are lower case, without blanks)`},
		{" etcd-lock", `reboot strategy " etcd-lock": unknown reboot strategy; ` + valid +
			` (did you mean "etcd-lock"? names are lower case, without blanks)`},
		{"OFF\n", `reboot strategy "OFF\n": unknown reboot strategy; ` + valid +
			` (did you mean "off"? names are lower case, without blanks)`},
		{"etcd", `reboot strategy "etcd": unknown reboot strategy; ` + valid},
		{" ", `reboot strategy " ": unknown reboot strategy; ` + valid},
	} {
		got, err := strategy.ParseStrategy(tc.in)
		if err == nil {
			t.Errorf("ParseStrategy(%q) = %q, nil; want an error", tc.in, got)
			continue
		}
		if !errors.Is(err, strategy.ErrUnknownStrategy) {
			t.Errorf("ParseStrategy(%q) error %v does not wrap ErrUnknownStrategy", tc.in, err)
		}
		if err.Error() != tc.want {
			t.Errorf("ParseStrategy(%q) error\n got %s\nwant %s", tc.in, err, tc.want)
		}
	}
}
