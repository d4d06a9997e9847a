package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"locksmith.dev/locksmith/internal/jsonerr"

	"locksmith.dev/locksmith/fleetlock"
)

// failf returns an *fleetlock.Error with a formatted value.
func failf(status int, kind, format string, args ...any) *fleetlock.Error {
	return &fleetlock.Error{Status: status, Kind: kind, Value: fmt.Sprintf(format, args...)}
}

// readRequest checks the method, the header and the body of r and returns the client's
// parameters, or the *fleetlock.Error to answer with.
func readRequest(w http.ResponseWriter, r *http.Request) (fleetlock.ClientParams, *fleetlock.Error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return fleetlock.ClientParams{}, failf(http.StatusMethodNotAllowed, fleetlock.KindMethodNotAllowed, "method %s not allowed; use POST", r.Method)
	}
	if v := r.Header.Get(fleetlock.HeaderProtocol); v != "true" {
		if v == "" {
			return fleetlock.ClientParams{}, failf(http.StatusBadRequest, fleetlock.KindMissingHeader, "missing header %q: true", fleetlock.HeaderProtocol)
		}
		return fleetlock.ClientParams{}, failf(http.StatusBadRequest, fleetlock.KindMissingHeader, "header %s is %q, want \"true\"", fleetlock.HeaderProtocol, v)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fleetlock.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return fleetlock.ClientParams{}, failf(http.StatusRequestEntityTooLarge, fleetlock.KindBodyTooLarge, "body larger than %d bytes", fleetlock.MaxBodyBytes)
		}
		return fleetlock.ClientParams{}, failf(http.StatusBadRequest, fleetlock.KindBadRequest, "reading the body: %v", err)
	}
	var req fleetlock.Request
	if err := json.Unmarshal(body, &req); err != nil {
		return fleetlock.ClientParams{}, failf(http.StatusBadRequest, fleetlock.KindBadRequest, "body is not the FleetLock JSON object: %s", jsonerr.Describe(err))
	}
	p := req.ClientParams
	switch {
	case p.ID == "":
		return p, failf(http.StatusBadRequest, fleetlock.KindBadRequest, "client_params.id is missing or empty")
	case strings.ContainsFunc(p.ID, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return p, failf(http.StatusBadRequest, fleetlock.KindBadRequest, "client_params.id %q holds white space or control characters", p.ID)
	case p.Group == "":
		return p, failf(http.StatusBadRequest, fleetlock.KindBadRequest, "client_params.group is missing or empty")
	case !fleetlock.GroupPattern.MatchString(p.Group):
		return p, failf(http.StatusBadRequest, fleetlock.KindBadRequest, "client_params.group %q does not match %s", p.Group, fleetlock.GroupPattern)
	}
	return p, nil
}

// waitOf reads the long-poll header of r: how long the client will wait, capped at limit; 0
// when the header is absent or invalid, or limit is 0.
func waitOf(r *http.Request, limit time.Duration) time.Duration {
	v := r.Header.Get(fleetlock.HeaderWait)
	if v == "" || limit <= 0 {
		return 0
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 || secs > 1e6 {
		return 0
	}
	return min(time.Duration(secs*float64(time.Second)), limit)
}

// writeError answers with e as FleetLock's JSON error.
func writeError(w http.ResponseWriter, e *fleetlock.Error) {
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
