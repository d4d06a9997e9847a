package history

import (
	"fmt"
	"strings"
	"time"

	"locksmith.dev/locksmith/semaphore/slot"
)

// Kind names what happened.
type Kind string

// The kinds of events. A node writes the first ones of its own life cycle; locksmithctl writes
// the operator's.
const (
	RebootNeeded     Kind = "reboot-needed"      // Reason: why
	WaitingForWindow Kind = "waiting-for-window" // Opens: the next opening
	Blocked          Kind = "blocked"            // Reason: what holds the reboot back
	WaitingForSlot   Kind = "waiting-for-slot"   // the node joins the queue
	SlotTaken        Kind = "slot-taken"         // Position, WaitSeconds
	PreReboot        Kind = "pre-reboot"         // Command, Error ("" when it passed)
	RebootRequested  Kind = "reboot-requested"   // OSVersion before, BootID of the boot that ends
	Booted           Kind = "booted"             // BootID (new), OSVersion after
	ChecksPassed     Kind = "checks-passed"      // Tries
	ChecksFailed     Kind = "checks-failed"      // Command, Error, Tries
	Released         Kind = "released"           // HeldSeconds, Reason
	AttemptFailed    Kind = "attempt-failed"     // Error: why the attempt ended without a reboot
	StaleRemoved     Kind = "stale-removed"      // Holder, By (the node that removed it), Reason
	SetMax           Kind = "set-max"            // OldMax, Max, By (user@host)
	Unlock           Kind = "unlock"             // Holder, By
	Lock             Kind = "lock"               // Holder, By
	Repair           Kind = "repair"             // Max, By
	RebootFailed     Kind = "reboot-failed"      // Reason: counted against the failure budget
	Frozen           Kind = "frozen"             // OldMax (restored by resume), Reason
	Resumed          Kind = "resumed"            // Max (restored), By
)

// Event is one entry of the log. Time, Kind, Node (for operator events: the node acted on, if
// any) and Group are always set; the other fields where they apply (see the kinds).
type Event struct {
	// Seq is the event's number in its group's log, set by [Log.List]; not stored in the value.
	Seq         int64     `json:"-"`
	Time        time.Time `json:"time"`
	Kind        Kind      `json:"kind"`
	Node        string    `json:"node,omitempty"`
	Group       string    `json:"group"`
	Hostname    string    `json:"hostname,omitempty"`
	Position    int       `json:"position,omitempty"`
	WaitSeconds float64   `json:"wait_seconds,omitempty"`
	HeldSeconds float64   `json:"held_seconds,omitempty"`
	Opens       time.Time `json:"opens,omitzero"`
	Command     string    `json:"command,omitempty"`
	Error       string    `json:"error,omitempty"`
	Tries       int       `json:"tries,omitempty"`
	OSVersion   string    `json:"os_version,omitempty"`
	BootID      string    `json:"boot_id,omitempty"`
	Holder      string    `json:"holder,omitempty"`
	By          string    `json:"by,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	Max         *int      `json:"max,omitempty"`
	OldMax      *int      `json:"old_max,omitempty"`
}

// Text says what happened in one line, without the time, e.g. "node a took a slot after
// waiting 2m3s (position 3)".
func (e Event) Text() string {
	who := "node " + e.Node
	if e.Hostname != "" {
		who += " (" + e.Hostname + ")"
	}
	wait := seconds(e.WaitSeconds)
	switch e.Kind {
	case RebootNeeded:
		return who + " needs a reboot" + suffix(": ", e.Reason)
	case WaitingForWindow:
		return who + " waits for its reboot window, which opens " + e.Opens.Format("Mon 2006-01-02 15:04 MST")
	case Blocked:
		return who + " is blocked: " + e.Reason
	case WaitingForSlot:
		return who + " waits for a reboot slot"
	case SlotTaken:
		s := who + " took a reboot slot after waiting " + wait.String()
		if e.Position > 0 {
			s += fmt.Sprintf(" (position %d when it queued)", e.Position)
		}
		return s
	case PreReboot:
		if e.Error != "" {
			return fmt.Sprintf("%s: pre-reboot command %q failed: %s", who, e.Command, e.Error)
		}
		return fmt.Sprintf("%s: pre-reboot command %q passed", who, e.Command)
	case RebootRequested:
		return who + " is rebooting" + suffix(" from OS version ", e.OSVersion)
	case Booted:
		return who + " booted" + suffix(" OS version ", e.OSVersion) + suffix(" (boot id ", e.BootID, ")")
	case ChecksPassed:
		return fmt.Sprintf("%s passed its post-reboot checks (%d tries)", who, e.Tries)
	case ChecksFailed:
		return fmt.Sprintf("%s FAILED its post-reboot checks after %d tries, keeping its slot: %s", who, e.Tries, e.Error)
	case Released:
		return who + " released its reboot slot after holding it " + seconds(e.HeldSeconds).String() + suffix(": ", e.Reason)
	case AttemptFailed:
		return who + ": the reboot attempt ended without a reboot: " + e.Error
	case StaleRemoved:
		return fmt.Sprintf("node %s removed the stale slot of %s%s", e.By, e.Holder, suffix(": ", e.Reason))
	case SetMax:
		return fmt.Sprintf("%s set max from %d to %d in %s", e.By, deref(e.OldMax), deref(e.Max), slot.GroupName(e.Group))
	case Unlock:
		return fmt.Sprintf("%s unlocked the slot of %s", e.By, e.Holder)
	case Lock:
		return fmt.Sprintf("%s took a slot for %s", e.By, e.Holder)
	case RebootFailed:
		return who + "'s reboot FAILED and counts against the failure budget: " + e.Reason
	case Frozen:
		return fmt.Sprintf("%s is FROZEN (max 0; was %d) until locksmithctl resume: %s", slot.GroupName(e.Group), deref(e.OldMax), e.Reason)
	case Resumed:
		return fmt.Sprintf("%s resumed %s (max %d)", e.By, slot.GroupName(e.Group), deref(e.Max))
	case Repair:
		return fmt.Sprintf("%s repaired the semaphore of %s (max %d)", e.By, slot.GroupName(e.Group), deref(e.Max))
	}
	return fmt.Sprintf("%s: %s", who, e.Kind)
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Second)
}

// suffix returns the parts joined when v is not empty, "" otherwise.
func suffix(before, v string, after ...string) string {
	if v == "" {
		return ""
	}
	return before + v + strings.Join(after, "")
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
