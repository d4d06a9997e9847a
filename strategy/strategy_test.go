package strategy_test

import (
	"fmt"
	"testing"

	"locksmith.dev/locksmith/strategy"
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
		_, err := strategy.ParseStrategy(tc.in)
		checkError(t, fmt.Sprintf("ParseStrategy(%q)", tc.in), err, strategy.ErrUnknownStrategy, tc.want)
	}
}
