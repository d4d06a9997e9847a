package slot

import (
	"slices"
	"strings"
	"time"
)

// Holder is one slot holder. Facts other than ID are optional: a value
// written by old locksmith has none, and such a holder is valid.
type Holder struct {
	ID         string    // holder id, usually /etc/machine-id
	AcquiredAt time.Time // when the slot was taken; zero when unknown
	Hostname   string    // host name of the holder, if known
	BootID     string    // boot id of the holder when it took the slot, if known
	Reason     string    // why the slot was taken, e.g. "reboot" or "locksmithctl lock"
	OSVersion  string    // the OS version the holder ran when it took the slot, if known
}

// Removal records the removal of a stale holder (semaphore.RemoveStale).
type Removal struct {
	Holder Holder    // the removed holder, with the facts it had
	By     string    // who removed it, as given to RemoveStale
	Reason string    // why, as given to RemoveStale
	At     time.Time // when, by the clock of the Semaphore that removed it
}

// Failure is a node's reboot that failed (its post-reboot checks gave up, it stayed up past its
// reboot deadline, it came back on the OS version it left), counted against the group's budget
// of failures (semaphore.Fail).
type Failure struct {
	ID     string    // the node's holder id
	Reason string    // what failed
	At     time.Time // when, by the clock of the Semaphore that recorded it
}

// Freeze records that the group froze because too many reboots failed: Max was set to 0, and
// semaphore.Resume sets it back to PreviousMax.
type Freeze struct {
	PreviousMax int       // max before the freeze
	Reason      string    // why, in words: the failures that used the budget up
	At          time.Time // when, by the clock of the Semaphore that froze it
}

// State is one read of the semaphore.
type State struct {
	Max     int      // number of slots; 0 means paused
	Holders []Holder // sorted by ID; may be more than Max right after Max was lowered
	// Revision is the mod_revision of the key, 0 when the key does not
	// exist yet.
	Revision int64
	// LastRemoval is the last stale-slot removal recorded in the value,
	// nil when none is (old tools drop the record when they rewrite the
	// value).
	LastRemoval *Removal
	// Freeze is set while the group is frozen by its failure budget (Max is then 0); nil
	// otherwise.
	Freeze *Freeze
	// Failures are the failed reboots counted against the budget since the last Resume or
	// SetMax, oldest first, one per node.
	Failures []Failure
}

// Free returns the number of free slots, max(0, Max-len(Holders)).
func (s State) Free() int { return max(0, s.Max-len(s.Holders)) }

// Holder returns the holder with this id and whether there is one.
func (s State) Holder(id string) (Holder, bool) {
	i, ok := slices.BinarySearchFunc(s.Holders, id, compareID)
	if !ok {
		return Holder{}, false
	}
	return s.Holders[i], true
}

// With returns a copy of s with h added; h.ID must not be a holder.
func (s State) With(h Holder) State {
	i, _ := slices.BinarySearchFunc(s.Holders, h.ID, compareID)
	s.Holders = slices.Insert(slices.Clone(s.Holders), i, h)
	return s
}

// Without returns a copy of s without the holder id.
func (s State) Without(id string) State {
	s.Holders = slices.DeleteFunc(slices.Clone(s.Holders), func(h Holder) bool { return h.ID == id })
	return s
}

// Clone returns a copy of s that shares no memory with s.
func (s State) Clone() State {
	s.Holders = slices.Clone(s.Holders)
	if s.LastRemoval != nil {
		r := *s.LastRemoval
		s.LastRemoval = &r
	}
	if s.Freeze != nil {
		f := *s.Freeze
		s.Freeze = &f
	}
	s.Failures = slices.Clone(s.Failures)
	return s
}

func compareID(h Holder, id string) int { return strings.Compare(h.ID, id) }
