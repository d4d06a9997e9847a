package fleetlock

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"locksmith.dev/locksmith/semaphore/slot"
)

// Protocol constants.
const (
	// PathPreReboot takes a reboot slot.
	PathPreReboot = "/v1/pre-reboot"
	// PathSteadyState gives a reboot slot back.
	PathSteadyState = "/v1/steady-state"
	// HeaderProtocol must be "true" on every request.
	HeaderProtocol = "fleet-lock-protocol"
	// HeaderWait is the long-poll extension: on a request, how long the client is willing to
	// wait for a slot, in seconds; on an answer, the wait the server granted.
	HeaderWait = "fleet-lock-wait"
	// DefaultGroup is the FleetLock group that maps to locksmith's default group.
	DefaultGroup = "default"
	// MaxBodyBytes bounds a request body; a larger one is refused.
	MaxBodyBytes = 4096
)

// Error kinds, the "kind" of an error answer. The set is small and fixed, as the protocol asks.
const (
	KindSemaphoreFull    = "failed_lock_semaphore_full"
	KindBadRequest       = "bad_request"
	KindMissingHeader    = "missing_header"
	KindMethodNotAllowed = "method_not_allowed"
	KindNotFound         = "not_found"
	KindBodyTooLarge     = "body_too_large"
	KindForbidden        = "forbidden_client_id"
	KindInternal         = "internal"
)

// GroupPattern is the protocol's rule for a group.
var GroupPattern = regexp.MustCompile(`^[a-zA-Z0-9.-]+$`)

// ClientParams names the client and its reboot group.
type ClientParams struct {
	ID    string `json:"id"`
	Group string `json:"group"`
}

// Request is the body of every FleetLock request.
type Request struct {
	ClientParams ClientParams `json:"client_params"`
}

// Error is a FleetLock error answer: its HTTP status, kind and text.
type Error struct {
	Status int    `json:"-"`
	Kind   string `json:"kind"`
	Value  string `json:"value"`
}

// Error returns "KIND: VALUE (HTTP STATUS)".
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Kind, e.Value, e.Status)
}

// ErrSemaphoreFull is matched by an *Error of kind KindSemaphoreFull.
var ErrSemaphoreFull = errors.New("fleetlock: semaphore full")

// Is reports whether target is ErrSemaphoreFull and e is of that kind.
func (e *Error) Is(target error) bool {
	return target == ErrSemaphoreFull && e.Kind == KindSemaphoreFull
}

// FormatWait writes d in seconds, as HeaderWait carries it.
func FormatWait(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// LocksmithGroup returns locksmith's group of a FleetLock group: DefaultGroup is locksmith's
// default group, any other group is locksmith's group of the same name.
func LocksmithGroup(group string) string {
	if group == DefaultGroup {
		return slot.DefaultGroup
	}
	return group
}

// FleetLockGroup returns the FleetLock group of locksmith's group, the inverse of LocksmithGroup.
func FleetLockGroup(group string) string {
	if group == slot.DefaultGroup {
		return DefaultGroup
	}
	return group
}
