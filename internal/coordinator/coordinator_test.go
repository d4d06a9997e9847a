package coordinator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetState(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "update-engine", "coordinator.conf")
	f := File{Path: path, Strategy: "etcd-lock"}
	for _, state := range []string{StateStarting, StateRebooting} {
		if err := f.SetState(state); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := "NAME=locksmithd\nSTRATEGY=etcd-lock\nSTATE=" + state + "\n"
		if string(b) != want {
			t.Fatalf("content %q, want %q", b, want)
		}
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, %v; want 0644", st.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestSetStateError(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := File{Path: filepath.Join(notDir, "coordinator.conf"), Strategy: "reboot"}.SetState(StateRunning)
	if err == nil || !strings.Contains(err.Error(), "coordinator file") || !strings.Contains(err.Error(), notDir) {
		t.Fatalf("error %v, want a write failure naming the coordinator file", err)
	}
}
