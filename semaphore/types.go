package semaphore

import "locksmith.dev/locksmith/semaphore/slot"

// The semaphore's data, defined in package slot so that code which only reasons about slots links
// no etcd client. The names here are the same types.
type (
	// Holder is one slot holder; see slot.Holder.
	Holder = slot.Holder
	// Removal records the removal of a stale holder; see slot.Removal.
	Removal = slot.Removal
	// Failure is a failed reboot counted against the budget; see slot.Failure.
	Failure = slot.Failure
	// Freeze records a group frozen by its failure budget; see slot.Freeze.
	Freeze = slot.Freeze
	// State is one read of the semaphore; see slot.State.
	State = slot.State
	// CorruptError reports a stored value that is not a valid semaphore; see slot.CorruptError.
	CorruptError = slot.CorruptError
)

// Sentinel errors, to be tested with errors.Is; they are those of package slot, and the errors
// returned by this package wrap them with the operation and the key.
var (
	// ErrFull: no slot is free for a newcomer (TryAcquire).
	ErrFull = slot.ErrFull
	// ErrNotHolder: the id holds no slot (Release).
	ErrNotHolder = slot.ErrNotHolder
	// ErrCorrupt is matched by every *CorruptError.
	ErrCorrupt = slot.ErrCorrupt
	// ErrInvalidMax: a negative max.
	ErrInvalidMax = slot.ErrInvalidMax
	// ErrNoStaleHolder: no holder is known to be older than the given age (RemoveStale).
	ErrNoStaleHolder = slot.ErrNoStaleHolder
	// ErrInvalidID: an empty holder id or one containing white space.
	ErrInvalidID = slot.ErrInvalidID
	// ErrNotCorrupt: the value is valid or absent; Repair wrote nothing.
	ErrNotCorrupt = slot.ErrNotCorrupt
	// ErrInvalidArgument: RemoveStale got an age that is not positive or an empty "by".
	ErrInvalidArgument = slot.ErrInvalidArgument
	// ErrClosed: Acquire would have to wait, or waits, on a closed Semaphore.
	ErrClosed = slot.ErrClosed
	// ErrNotFrozen: Resume found the group not frozen; nothing was written.
	ErrNotFrozen = slot.ErrNotFrozen
)
