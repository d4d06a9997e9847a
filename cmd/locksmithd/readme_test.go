package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's build line builds what it says: run as written, with its output directory moved
// to a temporary one, it leaves one binary per package named.
func TestReadmeBuildLine(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("Build with `CGO_ENABLED=0 go build -o bin/ ([^`]+)`").FindSubmatch(b)
	if m == nil {
		t.Fatal("README has no build line of the form `CGO_ENABLED=0 go build -o bin/ PACKAGES`")
	}
	pkgs := strings.Fields(string(m[1]))
	out := t.TempDir()
	cmd := exec.Command("go", append([]string{"build", "-o", out + "/"}, pkgs...)...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %q: %v\n%s", pkgs, err, o)
	}
	for _, p := range pkgs {
		if _, err := os.Stat(filepath.Join(out, filepath.Base(p))); err != nil {
			t.Errorf("the build line left no binary for %s: %v", p, err)
		}
	}
}
