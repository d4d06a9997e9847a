// Package statefile keeps, on a disk that survives the reboot, whether this node holds a reboot
// slot: locksmithd looks for a kept slot in etcd at start only when etcd is configured or this
// file says it holds one, so that a host that never used etcd does not wait for it.
package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"locksmith.dev/locksmith/internal/jsonerr"
)

// DefaultDir is the directory of the file on a host (the unit's StateDirectory=locksmith).
const DefaultDir = "/var/lib/locksmith"

// name is the file's name in its directory.
const name = "slot.json"

// Slot is what the file records of a slot this node holds.
type Slot struct {
	Group  string    `json:"group"`
	BootID string    `json:"boot_id"` // boot in which the slot was taken
	Taken  time.Time `json:"taken"`
}

// File is the state file in one directory.
type File struct{ Dir string }

// Path returns the file's path.
func (f File) Path() string { return filepath.Join(f.Dir, name) }

// Held returns the slot the file records, and false when it records none (no file). A file that
// cannot be read or parsed is an error naming it; the caller should then look in etcd.
func (f File) Held() (Slot, bool, error) {
	b, err := os.ReadFile(f.Path())
	if errors.Is(err, os.ErrNotExist) {
		return Slot{}, false, nil
	}
	if err != nil {
		return Slot{}, false, fmt.Errorf("read state file: %w", err)
	}
	var s Slot
	if err := json.Unmarshal(b, &s); err != nil {
		return Slot{}, false, fmt.Errorf("state file %s: %s", f.Path(), jsonerr.Describe(err))
	}
	return s, true, nil
}

// Record writes s, replacing the file atomically, and syncs it: it must survive the reboot that
// follows.
func (f File) Record(s Slot) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return fmt.Errorf("record the slot in the state file: %w", err)
	}
	tmp, err := os.CreateTemp(f.Dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("record the slot in the state file: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.Path())
	}
	if err != nil {
		return fmt.Errorf("record the slot in the state file: %w", err)
	}
	return nil
}

// Clear removes the record; no file is fine.
func (f File) Clear() error {
	if err := os.Remove(f.Path()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("clear the state file: %w", err)
	}
	return nil
}
