package slot

import (
	"errors"
	"fmt"
)

// Sentinel errors, to be tested with errors.Is. The errors returned by the
// semaphore package wrap them with the operation and the key.
var (
	// ErrFull is returned by TryAcquire when no slot is free for a
	// newcomer: every slot is taken, Max is 0 (paused), or the free slots
	// are promised to waiters already queued.
	ErrFull = errors.New("semaphore: no free slot")
	// ErrNotHolder is returned by Release when the id holds no slot.
	ErrNotHolder = errors.New("semaphore: not a holder")
	// ErrCorrupt is matched by every *CorruptError.
	ErrCorrupt = errors.New("semaphore: corrupt value")
	// ErrInvalidMax is returned for a negative max.
	ErrInvalidMax = errors.New("semaphore: invalid max")
	// ErrNoStaleHolder is returned by RemoveStale when no holder is known
	// to be older than the given age.
	ErrNoStaleHolder = errors.New("semaphore: no stale holder")
	// ErrInvalidID is returned for an empty holder id or one containing
	// white space.
	ErrInvalidID = errors.New("semaphore: invalid holder id")
	// ErrNotCorrupt is returned by Repair when the value is valid (or
	// absent): there is nothing to repair and nothing was written.
	ErrNotCorrupt = errors.New("semaphore: value is not corrupt")
	// ErrInvalidArgument is returned by RemoveStale for an age that is
	// not positive or an empty "by"; nothing is written.
	ErrInvalidArgument = errors.New("semaphore: invalid argument")
	// ErrClosed is returned by Acquire when it would have to wait (or
	// waits) on a Semaphore that is closed.
	ErrClosed = errors.New("semaphore: closed")
	// ErrNotFrozen is returned by Resume when the group is not frozen.
	ErrNotFrozen = errors.New("semaphore: not frozen")
)

// CorruptError reports a stored value that is not a valid semaphore. It
// matches ErrCorrupt with errors.Is.
type CorruptError struct {
	Key     string // the etcd key
	Problem string // what is wrong, e.g. `holder "a" appears twice`
	Value   []byte // the stored bytes
}

// Error names the key and the problem.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("semaphore: corrupt value in %s: %s", e.Key, e.Problem)
}

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }
