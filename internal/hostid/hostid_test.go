package hostid

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		content string
		want    string
		wantErr error
	}{
		{"0123456789abcdef0123456789abcdef\n", "0123456789abcdef0123456789abcdef", nil},
		{"  b1e7e1a4-5c7a-4c8e-9a51-7f0f3c2d9e11 \n", "b1e7e1a4-5c7a-4c8e-9a51-7f0f3c2d9e11", nil},
		{"\n", "", ErrInvalidID},
		{"two words\n", "", ErrInvalidID},
	}
	for i, tt := range tests {
		p := filepath.Join(dir, "id")
		if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadMachineID(p)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("%d: ReadMachineID(%q) = %q, %v; want %q, %v", i, tt.content, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), p) {
			t.Errorf("%d: error %q does not name the file", i, err)
		}
	}
}

func TestReadMissing(t *testing.T) {
	_, err := ReadBootID(filepath.Join(t.TempDir(), "boot_id"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "boot id") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestReadThisHost(t *testing.T) {
	if _, err := os.Stat(DefaultBootIDPath); err != nil {
		t.Skipf("no %s on this host", DefaultBootIDPath)
	}
	id, err := ReadBootID(DefaultBootIDPath)
	if err != nil || len(id) != 36 {
		t.Fatalf("boot id of this host: %q, %v", id, err)
	}
}

func TestReadOSVersion(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"NAME=\"Flatcar Container Linux by Kinvolk\"\nID=flatcar\nVERSION=4081.2.0\nVERSION_ID=4081.2.0\n", "4081.2.0"},
		{"NAME=Debian\nVERSION=\"12 (bookworm)\"\nVERSION_ID=\"12\"\n", "12 (bookworm)"},
		{"# comment\nVERSION_ID='24.04'\n", "24.04"},
		{"NAME=Arch\n", ""},
	} {
		path := filepath.Join(t.TempDir(), "os-release")
		if err := os.WriteFile(path, []byte(c.file), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := ReadOSVersion(path); got != c.want || err != nil {
			t.Errorf("ReadOSVersion of %q = %q, %v; want %q", c.file, got, err, c.want)
		}
	}
	if _, err := ReadOSVersion(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing file gave no error")
	}
}
