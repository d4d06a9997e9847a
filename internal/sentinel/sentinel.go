// Package sentinel watches for files whose existence means "this host needs
// a reboot", such as /var/run/reboot-required on Debian and Ubuntu.
//
// Waiting uses inotify, not polling: the package watches the nearest
// existing ancestor directory of every path, and looks again whenever
// something is created, moved in or removed there, so a path whose
// directory does not exist yet is also noticed once it appears.
package sentinel

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Files is a set of sentinel paths; any one of them existing means a
// reboot is needed.
type Files struct {
	// Paths are absolute file paths.
	Paths []string

	armed func() // test hook: called after the watches are set, before looking
}

// Present returns the first path that exists, and true; or "" and false if
// none does. A path that cannot be examined (for a reason other than not
// existing) counts as absent.
func (f Files) Present() (string, bool) {
	for _, p := range f.Paths {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

// Wait blocks until one of the paths exists and returns it. It returns at
// once if one exists already. It returns an error if there are no paths,
// if inotify fails (the error names the directory), or the cause of ctx's
// end if ctx ends first.
func (f Files) Wait(ctx context.Context) (string, error) {
	if len(f.Paths) == 0 {
		return "", errors.New("wait for sentinel files: no paths")
	}
	for {
		if p, ok, err := f.waitOnce(ctx); ok || err != nil {
			return p, err
		}
	}
}

// waitOnce arms a fresh inotify instance on the nearest existing ancestor
// of every path, looks for the paths, and if none exists waits for one
// event. It returns the path found, or ok false after an event (the caller
// looks again).
func (f Files) waitOnce(ctx context.Context) (string, bool, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return "", false, fmt.Errorf("wait for sentinel files: inotify: %w", err)
	}
	file := os.NewFile(uintptr(fd), "inotify") // non-blocking: reads use the poller
	defer file.Close()
	for _, p := range f.Paths {
		dir, err := existingAncestor(filepath.Dir(p))
		if err != nil {
			return "", false, fmt.Errorf("wait for sentinel file %s: %w", p, err)
		}
		const mask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR
		if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
			return "", false, fmt.Errorf("wait for sentinel file %s: watch %s: %w", p, dir, err)
		}
	}
	if f.armed != nil {
		f.armed()
	}
	if p, ok := f.Present(); ok {
		return p, true, nil
	}
	stop := context.AfterFunc(ctx, func() { _ = file.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 4096)
	if _, err := file.Read(buf); err != nil {
		if ctx.Err() != nil {
			return "", false, context.Cause(ctx)
		}
		return "", false, fmt.Errorf("wait for sentinel files: read inotify: %w", err)
	}
	return "", false, nil
}

// existingAncestor returns dir or its nearest ancestor that exists.
func existingAncestor(dir string) (string, error) {
	for {
		_, err := os.Stat(dir)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrNotExist) || dir == filepath.Dir(dir) {
			return "", err
		}
		dir = filepath.Dir(dir)
	}
}
