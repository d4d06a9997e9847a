package main_test

import (
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/testbin"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// TestExitStatus runs the real program: a bad command line exits 2 with
// one line on stderr, a run that cannot reach etcd exits 1.
func TestExitStatus(t *testing.T) {
	bin := testbin.Build(t, "locksmith.dev/locksmith/cmd/locksmith-sim")
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string // prefix
	}{
		{[]string{"--endpoint", "foo"}, 2, `locksmith-sim: invalid usage: --endpoint: `},
		{[]string{"--nodes", "0"}, 2, "locksmith-sim: invalid usage: --nodes 0"},
		{[]string{"--endpoint", "http://127.0.0.1:1", "--timeout", "200ms", "--quiet"}, 1, `locksmith-sim: watch run: check group "locksmith-sim-watch-1" in etcd at http://127.0.0.1:1`},
	} {
		r := testbin.Run(t, bin, nil, tt.args...)
		if r.Code != tt.code || !strings.HasPrefix(r.Stderr, tt.stderr) || strings.Count(r.Stderr, "\n") != 1 || r.Stdout != "" {
			t.Errorf("locksmith-sim %q: exit %d, stdout %q, stderr %q; want exit %d, stderr one line %q…",
				tt.args, r.Code, r.Stdout, r.Stderr, tt.code, tt.stderr)
		}
	}
}
