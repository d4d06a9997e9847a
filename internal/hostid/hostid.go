// Package hostid reads the identities of this host that locksmith uses: the
// machine id (the holder id in the semaphore) and the boot id (which tells
// whether the host has rebooted since it took its slot).
package hostid

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// Default paths of the identity files on a Linux host.
const (
	DefaultMachineIDPath = "/etc/machine-id"
	DefaultBootIDPath    = "/proc/sys/kernel/random/boot_id"
)

// ErrInvalidID is wrapped when an identity file is empty or holds more than
// one word.
var ErrInvalidID = errors.New("invalid identity")

// ReadMachineID returns the machine id stored at path, without surrounding
// white space. Errors name the file.
func ReadMachineID(path string) (string, error) { return read("machine id", path) }

// ReadBootID returns the boot id stored at path, without surrounding white
// space. Errors name the file.
func ReadBootID(path string) (string, error) { return read("boot id", path) }

func read(what, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", what, err)
	}
	id := strings.TrimSpace(string(b))
	if id == "" || strings.IndexFunc(id, unicode.IsSpace) >= 0 {
		return "", fmt.Errorf("read %s from %s: %w: %q is not a single word", what, path, ErrInvalidID, id)
	}
	return id, nil
}
