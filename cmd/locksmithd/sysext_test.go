package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scripts/sysext builds a squashfs image with the binaries and units under usr/ and the
// extension-release file Flatcar's systemd-sysext checks.
func TestSysextImage(t *testing.T) {
	for _, tool := range []string{"mksquashfs", "unsquashfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing in CI (scripts/test installs squashfs-tools)", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	img := filepath.Join(t.TempDir(), "locksmith.raw")
	cmd := exec.Command("../../scripts/sysext", img)
	cmd.Env = append(os.Environ(), "GOARCH=amd64", "VERSION=9.9.9")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/sysext: %v\n%s", err, out)
	}
	list, err := exec.Command("unsquashfs", "-l", "-d", "", img).CombinedOutput()
	if err != nil {
		t.Fatalf("unsquashfs -l: %v\n%s", err, list)
	}
	for _, want := range []string{
		"/usr/lib/locksmith/locksmithd", "/usr/lib/locksmith/locksmith-fleetlockd", "/usr/bin/locksmithctl",
		"/usr/lib/systemd/system/locksmithd.service", "/usr/lib/systemd/system/locksmith-fleetlockd.service",
		"/usr/lib/extension-release.d/extension-release.locksmith",
		"/usr/share/man/man8/locksmithd.8", "/usr/share/man/man1/locksmithctl.1", "/usr/share/man/man5/locksmith-update.conf.5",
	} {
		if !strings.Contains(string(list)+"\n", want+"\n") {
			t.Errorf("the image lacks %s:\n%s", want, list)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		if line != "" && line != "/usr" && !strings.HasPrefix(line, "/usr/") {
			t.Errorf("the image has %s outside usr/", line)
		}
	}
	release, err := exec.Command("unsquashfs", "-cat", img, "usr/lib/extension-release.d/extension-release.locksmith").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(release), "ID=flatcar\nSYSEXT_LEVEL=1.0\nARCHITECTURE=x86-64\nVERSION_ID=9.9.9\n"; got != want {
		t.Errorf("extension-release %q, want %q", got, want)
	}
	// The unit starts the binary the image ships.
	unit, err := exec.Command("unsquashfs", "-cat", img, "usr/lib/systemd/system/locksmithd.service").Output()
	if err != nil || !strings.Contains(string(unit), "\nExecStart=/usr/lib/locksmith/locksmithd\n") {
		t.Errorf("the image's unit does not start /usr/lib/locksmith/locksmithd: %v", err)
	}
}
