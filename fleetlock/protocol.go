package fleetlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"locksmith.dev/locksmith/semaphore"
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

// groupPattern is the protocol's rule for a group.
var groupPattern = regexp.MustCompile(`^[a-zA-Z0-9.-]+$`)

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

// failf returns an *Error with a formatted value.
func failf(status int, kind, format string, args ...any) *Error {
	return &Error{Status: status, Kind: kind, Value: fmt.Sprintf(format, args...)}
}

// readRequest checks the method, the header and the body of r and returns the client's
// parameters, or the *Error to answer with.
func readRequest(w http.ResponseWriter, r *http.Request) (ClientParams, *Error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return ClientParams{}, failf(http.StatusMethodNotAllowed, KindMethodNotAllowed, "method %s not allowed; use POST", r.Method)
	}
	if v := r.Header.Get(HeaderProtocol); v != "true" {
		if v == "" {
			return ClientParams{}, failf(http.StatusBadRequest, KindMissingHeader, "missing header %q: true", HeaderProtocol)
		}
		return ClientParams{}, failf(http.StatusBadRequest, KindMissingHeader, "header %s is %q, want \"true\"", HeaderProtocol, v)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return ClientParams{}, failf(http.StatusRequestEntityTooLarge, KindBodyTooLarge, "body larger than %d bytes", MaxBodyBytes)
		}
		return ClientParams{}, failf(http.StatusBadRequest, KindBadRequest, "reading the body: %v", err)
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		return ClientParams{}, failf(http.StatusBadRequest, KindBadRequest, "body is not the FleetLock JSON object: %s", jsonProblem(err))
	}
	p := req.ClientParams
	switch {
	case p.ID == "":
		return p, failf(http.StatusBadRequest, KindBadRequest, "client_params.id is missing or empty")
	case strings.ContainsFunc(p.ID, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return p, failf(http.StatusBadRequest, KindBadRequest, "client_params.id %q holds white space or control characters", p.ID)
	case p.Group == "":
		return p, failf(http.StatusBadRequest, KindBadRequest, "client_params.group is missing or empty")
	case !groupPattern.MatchString(p.Group):
		return p, failf(http.StatusBadRequest, KindBadRequest, "client_params.group %q does not match %s", p.Group, groupPattern)
	}
	return p, nil
}

// jsonProblem words a decoding error without Go's type names.
func jsonProblem(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return fmt.Sprintf("field %s has a JSON %s, want a %s", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the JSON ends early"
	}
	return err.Error()
}

// jsonKind names a Go kind as JSON does.
func jsonKind(k string) string {
	if k == "struct" {
		return "object"
	}
	return k
}

// waitOf reads the long-poll header of r: how long the client will wait, capped at limit; 0
// when the header is absent or invalid, or limit is 0.
func waitOf(r *http.Request, limit time.Duration) time.Duration {
	v := r.Header.Get(HeaderWait)
	if v == "" || limit <= 0 {
		return 0
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 || secs > 1e6 {
		return 0
	}
	return min(time.Duration(secs*float64(time.Second)), limit)
}

// formatWait writes d in seconds for HeaderWait.
func formatWait(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// writeError answers with e as FleetLock's JSON error.
func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}

// writeOK answers 200 with a small JSON body.
func writeOK(w http.ResponseWriter, value string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]string{"value": value})
}

// semaphoreGroup maps a FleetLock group to locksmith's.
func semaphoreGroup(group string) string {
	if group == DefaultGroup {
		return semaphore.DefaultGroup
	}
	return group
}
