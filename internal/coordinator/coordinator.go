// Package coordinator writes /run/update-engine/coordinator.conf, the file
// that tells update_engine and operators which reboot coordinator runs on
// the host, with which strategy, and in which state:
//
//	NAME=locksmithd
//	STRATEGY=etcd-lock
//	STATE=running
//
// Every write replaces the file atomically (a temporary file in the same
// directory, then rename), so a reader sees the old or the new content,
// never a mix.
package coordinator

import (
	"fmt"
	"os"
	"path/filepath"
)

// DefaultPath is where the file lives on a host.
const DefaultPath = "/run/update-engine/coordinator.conf"

// Name is the NAME= value.
const Name = "locksmithd"

// States written in STATE=.
const (
	// StateStarting: the daemon is starting and has not decided anything yet.
	StateStarting = "starting"
	// StateRunning: the daemon waits (for a reboot to be needed, for the
	// window, for a slot) or has nothing to do.
	StateRunning = "running"
	// StateRebootPlanned: the daemon holds what it needs to reboot and is
	// getting ready (pre-reboot command, login delay).
	StateRebootPlanned = "reboot-planned"
	// StateRebooting: the daemon has asked for the reboot. It stays in the file when the daemon
	// stops for that reboot.
	StateRebooting = "rebooting"
	// StateStopped: the daemon stopped without a reboot under way (SIGTERM, or strategy off
	// once its start-up work is done): nothing coordinates reboots on the host now.
	StateStopped = "stopped"
)

// File is the coordinator file of one daemon.
type File struct {
	// Path of the file; its directory is created (mode 0755) if missing.
	Path string
	// Strategy is the STRATEGY= value.
	Strategy string
}

// SetState writes the file with STATE=state. It returns nil once the new
// content is in place, or an error naming the file; on error the old
// content, if any, is left as it was.
func (f File) SetState(state string) error {
	content := fmt.Sprintf("NAME=%s\nSTRATEGY=%s\nSTATE=%s\n", Name, f.Strategy, state)
	if err := writeAtomic(f.Path, []byte(content)); err != nil {
		return fmt.Errorf("write coordinator file: %w", err)
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
