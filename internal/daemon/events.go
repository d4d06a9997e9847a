package daemon

import (
	"time"

	"locksmith.dev/locksmith/internal/coordinator"
	"locksmith.dev/locksmith/semaphore/slot"
)

// State is what a [Machine] is doing.
type State string

// The states of a Machine, in the order of its life cycle.
const (
	// StateStarting: Run has begun and reads the semaphore.
	StateStarting State = "starting"
	// StateCheckingHealth: the node rebooted while holding a slot; the
	// post-reboot checks run (and are retried) before the slot is released.
	StateCheckingHealth State = "checking-health"
	// StateHealthFailed: the post-reboot checks did not pass in time; the
	// slot is kept so that the rollout halts.
	StateHealthFailed State = "health-failed"
	// StateIdle: waiting for a reboot to be needed.
	StateIdle State = "idle"
	// StateWaitingWindow: a reboot is needed; waiting for the window to
	// open, holding no slot.
	StateWaitingWindow State = "waiting-for-window"
	// StateBlocked: a Blocker holds the reboot back (a firing alert, a command); checked again
	// every BlockerInterval, holding no slot.
	StateBlocked State = "blocked"
	// StateWaitingSlot: waiting for a slot of the semaphore.
	StateWaitingSlot State = "waiting-for-slot"
	// StateSlotTaken: a slot is held for a reboot that is being prepared.
	StateSlotTaken State = "slot-taken"
	// StatePreReboot: the pre-reboot command runs.
	StatePreReboot State = "pre-reboot"
	// StateLoginDelay: people are logged in; the reboot waits once.
	StateLoginDelay State = "login-delay"
	// StateRebooting: the reboot was requested; waiting for the host to go
	// down (or for the reboot timeout).
	StateRebooting State = "rebooting"
	// StateRetrying: an attempt failed; waiting before the next one.
	StateRetrying State = "retrying"
	// StateOff: strategy off; the start-up work is done and Run returns.
	StateOff State = "off"
	// StateStopped: Run is returning.
	StateStopped State = "stopped"
)

// coordinatorState maps a state to the STATE= of coordinator.conf. A machine that stops after
// requesting its reboot leaves "rebooting" in place (see Machine.enter).
func (s State) coordinatorState() string {
	switch s {
	case StateStopped:
		return coordinator.StateStopped
	case StateStarting:
		return coordinator.StateStarting
	case StateSlotTaken, StatePreReboot, StateLoginDelay:
		return coordinator.StateRebootPlanned
	case StateRebooting:
		return coordinator.StateRebooting
	default:
		return coordinator.StateRunning
	}
}

// Event is reported to [Config.OnEvent] whenever the machine enters a state
// (also the same state with a new status text) and whenever it takes or
// gives up a slot.
type Event struct {
	// Time is the machine's clock when the event happened.
	Time time.Time
	// State is the current state.
	State State
	// Status is the current state in words, as sent in sd_notify STATUS=.
	Status string
	// Holding reports whether this node holds a slot, as far as the machine
	// knows; Holder then has the slot's facts.
	Holding bool
	// Holder is the slot held; zero when Holding is false.
	Holder slot.Holder
	// Since is when the machine entered State.
	Since time.Time
	// RebootNeeded reports that the update source said a reboot is needed and the machine has
	// not rebooted for it yet.
	RebootNeeded bool
	// WindowOpens is, while the machine waits for the reboot window, its next opening.
	WindowOpens time.Time
	// BlockedBy is, while a Blocker holds the reboot back, why.
	BlockedBy string
	// Check tells, while the post-reboot checks fail, how; nil otherwise.
	Check *CheckFailure
}

// CheckFailure is the state of post-reboot checks that fail.
type CheckFailure struct {
	// Command is the check that failed last, Error how.
	Command, Error string
	// Since is when the first round failed.
	Since time.Time
	// Rounds is the number of rounds that failed.
	Rounds int
}
