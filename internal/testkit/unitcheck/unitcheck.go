// Package unitcheck runs systemd-analyze on this project's units: verify, and the exposure score
// of security --offline.
package unitcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	execStart = regexp.MustCompile(`(?m)^ExecStart=.*$`)
	exposure  = regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`)
	section   = regexp.MustCompile(`(?m)^\[Service\]\n`)
)

// Analyze writes the unit at unitPath, with ExecStart pointing at bin and the [Service] lines
// of each drop-in appended to its [Service] section (as systemd would merge them), into a
// temporary directory. It runs systemd-analyze verify on that copy, failing the test on a
// complaint about it, and returns its exposure score from systemd-analyze security
// --offline=yes. Without systemd-analyze the test is skipped, except in CI (CI=true), where it
// fails.
func Analyze(t *testing.T, unitPath, bin string, dropIns ...string) float64 {
	t.Helper()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("systemd-analyze is missing in CI (scripts/test installs it)")
		}
		t.Skip("systemd-analyze is not installed")
	}
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	unit := execStart.ReplaceAllString(string(b), "ExecStart="+bin)
	for _, d := range dropIns {
		db, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		_, lines, ok := strings.Cut(string(db), "[Service]\n")
		if !ok {
			t.Fatalf("drop-in %s has no [Service] section", d)
		}
		unit = section.ReplaceAllLiteralString(unit, "[Service]\n"+lines)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(unitPath))
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	// Complaints about other units of the host are not this unit's.
	if out, err := exec.Command(analyze, "verify", path).CombinedOutput(); err != nil || strings.Contains(string(out), filepath.Base(unitPath)) {
		t.Fatalf("systemd-analyze verify %s: %v\n%s", filepath.Base(unitPath), err, out)
	}
	out, err := exec.Command(analyze, "security", "--offline=yes", path).CombinedOutput()
	m := exposure.FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	score, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return score
}
