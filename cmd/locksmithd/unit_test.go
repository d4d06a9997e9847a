package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const unitPath = "../../systemd-units/locksmithd.service"

func TestUnitContents(t *testing.T) {
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{
		"Type=notify",
		"EnvironmentFile=-/usr/share/flatcar/update.conf",
		"EnvironmentFile=-/etc/flatcar/update.conf",
		"EnvironmentFile=-/usr/share/coreos/update.conf",
		"EnvironmentFile=-/etc/coreos/update.conf",
		"After=update-engine.service network-online.target",
		"Restart=on-failure",
		"RestartPreventExitStatus=2",
		"MemoryHigh=32M",
		"CPUWeight=10",
		"ProtectSystem=strict",
		"ProtectHome=",
		"NoNewPrivileges=yes",
		"PrivateTmp=yes",
		"ReadWritePaths=-/run/update-engine",
	} {
		if !strings.Contains(unit, "\n"+want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	// The configuration files of the host override the image's defaults.
	if strings.Index(unit, "/usr/share/flatcar/update.conf") > strings.Index(unit, "/etc/flatcar/update.conf") {
		t.Error("/etc/flatcar/update.conf must come after /usr/share/flatcar/update.conf")
	}
}

// TestUnitVerifies runs systemd-analyze verify on the unit, with ExecStart
// pointing at the freshly built binary (verify checks that it exists).
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	probe := filepath.Join(dir, "probe.service")
	if err := os.WriteFile(probe, []byte("[Service]\nExecStart=/bin/true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", probe).CombinedOutput(); err != nil {
		t.Skipf("systemd-analyze verify cannot run here (a trivial unit fails: %v: %s)", err, out)
	}
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	unit := regexp.MustCompile(`(?m)^ExecStart=.*$`).ReplaceAllString(string(b), "ExecStart="+binary(t))
	path := filepath.Join(dir, "locksmithd.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || strings.Contains(string(out), "locksmithd.service") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
