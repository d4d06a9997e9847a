package main_test

import (
	"os"
	"strings"
	"testing"

	"locksmith.dev/locksmith/internal/testkit/unitcheck"
)

const (
	unitPath = "../../systemd-units/locksmithd.service"
	dropIn   = "../../systemd-units/locksmithd.service.d/hooks.conf"
)

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
		"CapabilityBoundingSet=",
		"SystemCallFilter=@system-service",
		"ConditionPathExists=!/usr/.noupdate",
		"ConditionVirtualization=!container",
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

// TestUnitVerifies runs systemd-analyze verify on the unit, with ExecStart pointing at the
// freshly built binary (verify checks that it exists), and holds its sandbox to an exposure of
// at most 3.0 (OK), alone and with the example drop-in for hooks.
func TestUnitVerifies(t *testing.T) {
	if score := unitcheck.Analyze(t, unitPath, binary(t)); score > 3.0 {
		t.Fatalf("exposure %.1f, want at most 3.0", score)
	}
	if score := unitcheck.Analyze(t, unitPath, binary(t), dropIn); score > 3.0 {
		t.Fatalf("exposure with %s: %.1f, want at most 3.0", dropIn, score)
	}
}
