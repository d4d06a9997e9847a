package ctl_test

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/ctl"
)

// unitFile is locksmithd's unit, whose EnvironmentFile= lines the CLI must
// read in the same order.
const unitFile = "../../systemd-units/locksmithd.service"

// environmentFiles returns the files of the EnvironmentFile= lines of a
// unit, in order, without the "-" that makes a file optional.
func environmentFiles(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var files []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "EnvironmentFile=")
		if ok {
			files = append(files, strings.TrimPrefix(strings.TrimSpace(v), "-"))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return files
}

// The CLI falls back to the settings locksmithd runs with: the same files,
// a later one winning in both.
func TestDefaultUpdateConfFilesAreTheUnits(t *testing.T) {
	unit := environmentFiles(t, unitFile)
	if len(unit) == 0 {
		t.Fatalf("%s has no EnvironmentFile= line", unitFile)
	}
	if got := ctl.DefaultUpdateConfFiles(); !slices.Equal(got, unit) {
		t.Errorf("DefaultUpdateConfFiles() = %q, want the EnvironmentFile= lines of %s in order: %q", got, unitFile, unit)
	}
}
