package envflag

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func newFlags() (*pflag.FlagSet, *string, *[]string, *time.Duration, *bool) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	s := fs.String("reboot-strategy", "reboot", "strategy")
	l := fs.StringSlice("endpoint", []string{"http://127.0.0.1:2379"}, "etcd")
	d := fs.Duration("lock-ttl", 0, "ttl")
	b := fs.Bool("verbose", false, "v")
	return fs, s, l, d, b
}

var env = Env{Prefix: "LOCKSMITHD", Aliases: map[string][]string{"reboot-strategy": {"REBOOT_STRATEGY"}}}

func TestName(t *testing.T) {
	if got := env.Name("etcd-cafile"); got != "LOCKSMITHD_ETCD_CAFILE" {
		t.Fatalf("Name = %q", got)
	}
}

func TestApplyPrecedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"default", nil, nil, "reboot"},
		{"legacy alias", nil, map[string]string{"REBOOT_STRATEGY": "off"}, "off"},
		{"prefixed beats alias", nil, map[string]string{"REBOOT_STRATEGY": "off", "LOCKSMITHD_REBOOT_STRATEGY": "etcd-lock"}, "etcd-lock"},
		{"flag beats env", []string{"--reboot-strategy=off"}, map[string]string{"LOCKSMITHD_REBOOT_STRATEGY": "etcd-lock"}, "off"},
		// Old locksmith read its variables with os.Getenv: empty is unset.
		{"empty value is unset", nil, map[string]string{"REBOOT_STRATEGY": ""}, "reboot"},
		{"empty prefixed falls back to alias", nil, map[string]string{"LOCKSMITHD_REBOOT_STRATEGY": "", "REBOOT_STRATEGY": "off"}, "off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, s, _, _, _ := newFlags()
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := env.Apply(fs, MapLookup(tt.vars)); err != nil {
				t.Fatal(err)
			}
			if *s != tt.want {
				t.Fatalf("strategy = %q, want %q", *s, tt.want)
			}
		})
	}
}

func TestSource(t *testing.T) {
	lookup := MapLookup(map[string]string{"LOCKSMITHD_REBOOT_STRATEGY": "", "REBOOT_STRATEGY": "off"})
	if name, value, ok := env.Source("reboot-strategy", lookup); !ok || name != "REBOOT_STRATEGY" || value != "off" {
		t.Fatalf("Source = %q, %q, %v; want REBOOT_STRATEGY, off", name, value, ok)
	}
	if name, _, ok := env.Source("lock-ttl", lookup); ok {
		t.Fatalf("Source(lock-ttl) = %q, want none", name)
	}
}

func TestApplySliceAndTypes(t *testing.T) {
	fs, _, l, d, b := newFlags()
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"LOCKSMITHD_ENDPOINT": "http://a:2379,http://b:2379",
		"LOCKSMITHD_LOCK_TTL": "1h",
		"LOCKSMITHD_VERBOSE":  "true",
	}
	if err := env.Apply(fs, MapLookup(vars)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(*l, " ") != "http://a:2379 http://b:2379" {
		t.Fatalf("endpoint = %v", *l)
	}
	if *d != time.Hour || !*b {
		t.Fatalf("lock-ttl = %v, verbose = %v", *d, *b)
	}
}

func TestApplyBadValueNamesVariable(t *testing.T) {
	fs, _, _, d, _ := newFlags()
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	err := env.Apply(fs, MapLookup(map[string]string{"LOCKSMITHD_LOCK_TTL": "soon"}))
	if err == nil {
		t.Fatal("Apply accepted lock-ttl=soon")
	}
	for _, want := range []string{"LOCKSMITHD_LOCK_TTL", "--lock-ttl", `"soon"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if *d != 0 {
		t.Errorf("lock-ttl changed to %v by a bad value", *d)
	}
}

func TestApplySkip(t *testing.T) {
	fs, _, _, _, b := newFlags()
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if err := env.Apply(fs, MapLookup(map[string]string{"LOCKSMITHD_VERBOSE": "true"}), "verbose"); err != nil {
		t.Fatal(err)
	}
	if *b {
		t.Fatal("skipped flag was read from the environment")
	}
}

func TestDocument(t *testing.T) {
	fs, _, _, _, _ := newFlags()
	env.Document(fs, "verbose")
	if u := fs.Lookup("reboot-strategy").Usage; !strings.Contains(u, "$LOCKSMITHD_REBOOT_STRATEGY, $REBOOT_STRATEGY") {
		t.Fatalf("usage %q lacks the variable names", u)
	}
	if u := fs.Lookup("verbose").Usage; strings.Contains(u, "$") {
		t.Fatalf("skipped flag documented: %q", u)
	}
}

func TestChain(t *testing.T) {
	l := Chain(MapLookup(map[string]string{"A": "1"}), MapLookup(map[string]string{"A": "2", "B": "3"}))
	if v, _ := l("A"); v != "1" {
		t.Errorf("A = %q, want first lookup's value", v)
	}
	if v, _ := l("B"); v != "3" {
		t.Errorf("B = %q, want second lookup's value", v)
	}
	if _, ok := l("C"); ok {
		t.Error("C found in neither map")
	}
}

func TestUnknown(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.Duration("lock-ttl", 0, "")
	fs.String("endpoint", "", "")
	fs.Bool("version", false, "")
	e := Env{Prefix: "LOCKSMITHD"}
	got := e.Unknown(fs, []string{"LOCKSMITHD_LOCK_TL", "LOCKSMITHD_ENDPOINT", "LOCKSMITHD_WHATEVER_ELSE", "PATH", "LOCKSMITHD_VERSION"}, "version")
	want := []string{
		"$LOCKSMITHD_LOCK_TL names no option (did you mean $LOCKSMITHD_LOCK_TTL?); it is ignored",
		"$LOCKSMITHD_WHATEVER_ELSE names no option; it is ignored",
		"$LOCKSMITHD_VERSION names no option; it is ignored",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Unknown = %q, want %q", got, want)
	}
}
