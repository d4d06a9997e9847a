package envflag

import (
	"slices"
	"testing"
)

func TestNormalizeArgs(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"-endpoint=http://a:2379"}, []string{"--endpoint=http://a:2379"}},
		{[]string{"-endpoint", "http://a:2379", "status"}, []string{"--endpoint", "http://a:2379", "status"}},
		{[]string{"-verbose", "status"}, []string{"--verbose", "status"}},
		{[]string{"--reboot-strategy", "-endpoint"}, []string{"--reboot-strategy", "-endpoint"}},
		{[]string{"-reboot-strategy", "-verbose"}, []string{"--reboot-strategy", "-verbose"}},
		{[]string{"-h"}, []string{"-h"}},
		{[]string{"-unknown=1"}, []string{"-unknown=1"}},
		{[]string{"--", "-endpoint=x"}, []string{"--", "-endpoint=x"}},
		{[]string{"-"}, []string{"-"}},
		{[]string{"--endpoints=http://a:2379,http://b:2379"}, []string{"--endpoint=http://a:2379,http://b:2379"}},
		{[]string{"--endpoints", "http://a:2379", "status"}, []string{"--endpoint", "http://a:2379", "status"}},
		{[]string{"-endpoints=http://a:2379"}, []string{"--endpoint=http://a:2379"}},
	}
	for _, tt := range tests {
		fs, _, _, _, _ := newFlags()
		if got := NormalizeArgs(fs, tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("NormalizeArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizedArgsParse(t *testing.T) {
	fs, _, l, _, _ := newFlags()
	if err := fs.Parse(NormalizeArgs(fs, []string{"-endpoint=http://x:1", "-endpoint", "http://y:2"})); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(*l, []string{"http://x:1", "http://y:2"}) {
		t.Fatalf("endpoint = %q", *l)
	}
}
