package daemon

import (
	"context"
	"time"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/semaphore/slot"
)

// Lock is the semaphore of the machine's reboot group; *semaphore.Semaphore is one. Its errors
// word themselves (an etcd timeout names the endpoints), so the machine shows them as they are.
type Lock interface {
	// Get reads the semaphore.
	Get(ctx context.Context) (slot.State, error)
	// Acquire blocks until h holds a slot; it returns nil at once if h.ID
	// already holds one. An error means no slot was taken.
	Acquire(ctx context.Context, h slot.Holder) error
	// Release frees the slot of id; slot.ErrNotHolder if it holds none.
	Release(ctx context.Context, id string) error
	// RemoveStale removes one holder older than maxAge, recording by and
	// reason, and returns it; slot.ErrNoStaleHolder if there is none.
	RemoveStale(ctx context.Context, maxAge time.Duration, by, reason string) (slot.Holder, error)
	// WaitChange blocks until the semaphore's value is no longer the one
	// at revision rev and returns the new state.
	WaitChange(ctx context.Context, rev int64) (slot.State, error)
}

// Blocker can hold the reboot back from outside locksmith (package blocker: Prometheus alerts,
// a PromQL expression, a command). The machine asks every Blocker before it takes a slot and
// again right before the reboot.
type Blocker interface {
	// Name names the kind of blocker in logs ("alerts", "query", "command").
	Name() string
	// Blocked returns why the reboot must wait, "" if it may go, and the error that kept the
	// blocker from telling, if any (logged; with a reason, the reboot waits).
	Blocked(ctx context.Context) (reason string, err error)
}

// Budget counts the machine's failed reboots against its group's budget of failures
// (semaphore.Fail with --max-failures): a group whose budget is used up freezes.
type Budget interface {
	// Fail counts a failed reboot of this machine, and returns the group's freeze if it is
	// frozen after that (nil if not).
	Fail(ctx context.Context, reason string) (*slot.Freeze, error)
}

// Silencer silences the node's alerts while it reboots (package silence: Alertmanager).
type Silencer interface {
	// Silence silences them for the expected down time; called right before the reboot.
	Silence(ctx context.Context) error
	// Unsilence ends the silences this node made, also those of its previous boot.
	Unsilence(ctx context.Context) error
}

// UpdateSource says whether the host needs a reboot (update_engine, sentinel
// files, or a stand-in).
type UpdateSource interface {
	// WaitRebootNeeded blocks until a reboot is needed and returns a short
	// description of why, for logs (e.g. "update_engine: version 4081.2.0").
	WaitRebootNeeded(ctx context.Context) (string, error)
	// RebootNeeded reports whether a reboot is still needed now.
	RebootNeeded(ctx context.Context) (bool, error)
}

// Rebooter reboots the host.
type Rebooter interface {
	// Reboot asks for a reboot and returns nil once the request is accepted
	// (the host then goes down, and Run's context ends), or why it was not.
	Reboot(ctx context.Context) error
}

// Sessions lists the people logged in, to delay a reboot for them.
type Sessions interface {
	// InteractiveSessions returns the interactive sessions (nil if none).
	InteractiveSessions(ctx context.Context) ([]Session, error)
}

// Warner warns the people logged in before a reboot, the way logind does for a scheduled
// shutdown (it broadcasts to every terminal itself), so that the daemon needs no device access.
type Warner interface {
	// WarnReboot announces a reboot at `at`, with message.
	WarnReboot(ctx context.Context, at time.Time, message string) error
	// CancelWarning calls the announced reboot off; logind tells the terminals.
	CancelWarning(ctx context.Context) error
}

// Session is a person logged in, as far as the login delay names them in its log and status.
type Session struct {
	User       string // user name
	TTY        string // terminal, e.g. "pts/0"; "" if none
	RemoteHost string // host the user came from; "" if local or unknown
}

// Runner runs operator commands: post-reboot checks and the pre-reboot
// command. [ShellRunner] runs them with /bin/sh.
type Runner interface {
	// Run runs command and returns nil if it exits with status 0, or an
	// error saying how it failed. When ctx ends, the command is stopped.
	Run(ctx context.Context, command string) error
}

// Notifier sends sd_notify messages; sdnotify.Notifier is one. Status
// texts may hold several lines (a failed command's output): the Notifier
// must send each as one line, since sd_notify assignments are separated by
// newlines.
type Notifier interface {
	// Ready sends READY=1 with STATUS=status.
	Ready(status string) error
	// Status sends STATUS=status.
	Status(status string) error
	// Watchdog sends WATCHDOG=1.
	Watchdog() error
	// Stopping sends STOPPING=1 with STATUS=status.
	Stopping(status string) error
}

// History keeps the machine's events (package history); locksmithd writes them to etcd, the
// webhook and the metrics. Record is called from any of the machine's goroutines and must not
// block: the event is sent in the background, and a failure to send it never stops a reboot.
type History interface {
	Record(e history.Event)
}

// Coordinator receives the STATE= of coordinator.conf; coordinator.File is
// one.
type Coordinator interface {
	SetState(state string) error
}
