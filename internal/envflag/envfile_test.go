package envflag

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadEnvFile(t *testing.T) {
	p := writeFile(t, "update.conf", `# Flatcar update configuration
GROUP=stable
REBOOT_STRATEGY="etcd-lock"
; a comment
LOCKSMITHD_REBOOT_WINDOW_START='Thu 04:00'

  LOCKSMITHD_REBOOT_WINDOW_LENGTH = 1h
export LOCKSMITHD_ENDPOINT=http://10.0.0.1:2379,http://10.0.0.2:2379
`)
	got, err := ReadEnvFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"GROUP":                           "stable",
		"REBOOT_STRATEGY":                 "etcd-lock",
		"LOCKSMITHD_REBOOT_WINDOW_START":  "Thu 04:00",
		"LOCKSMITHD_REBOOT_WINDOW_LENGTH": "1h",
		"LOCKSMITHD_ENDPOINT":             "http://10.0.0.1:2379,http://10.0.0.2:2379",
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestReadEnvFileMissingIsEmpty(t *testing.T) {
	got, err := ReadEnvFile(filepath.Join(t.TempDir(), "absent.conf"))
	if err != nil || len(got) != 0 {
		t.Fatalf("missing file: %v, %v", got, err)
	}
}

func TestReadEnvFileBadLine(t *testing.T) {
	p := writeFile(t, "bad.conf", "GROUP=stable\nthis is not a variable\n")
	_, err := ReadEnvFile(p)
	if err == nil {
		t.Fatal("bad line accepted")
	}
	if !strings.Contains(err.Error(), p+":2") {
		t.Fatalf("error %q does not name file and line", err)
	}
}

func TestReadEnvFilesLaterWins(t *testing.T) {
	a := writeFile(t, "a.conf", "GROUP=alpha\nREBOOT_STRATEGY=off\n")
	b := writeFile(t, "b.conf", "GROUP=stable\n")
	got, err := ReadEnvFiles(a, filepath.Join(t.TempDir(), "missing"), b)
	if err != nil {
		t.Fatal(err)
	}
	if got["GROUP"] != "stable" || got["REBOOT_STRATEGY"] != "off" {
		t.Fatalf("got %v", got)
	}
}
