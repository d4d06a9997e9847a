package fleetlock

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"locksmith.dev/locksmith/internal/clock"
)

// Defaults for the zero fields of [Client].
const (
	DefaultLongPoll     = 50 * time.Second
	DefaultPollInterval = time.Minute
)

// Client is a FleetLock client for one id and group. Set URL, ID and Group; the other fields
// have defaults. It is safe for concurrent use.
type Client struct {
	// URL is the server's base URL; the endpoints are relative to it.
	URL string
	// ID and Group are the client_params.
	ID, Group string
	// HTTP sends the requests; nil selects a client whose requests time out after LongPoll
	// plus 30 seconds.
	HTTP *http.Client
	// LongPoll is how long one pre-reboot asks a server with the long-poll extension to wait;
	// 0 selects DefaultLongPoll, a negative value never asks (the client then polls, as
	// Zincati does).
	LongPoll time.Duration
	// PollInterval is the mean period of pre-reboots against a server without the extension,
	// jittered by ±20%; 0 selects DefaultPollInterval.
	PollInterval time.Duration
	// Clock times the polls; nil selects clock.Real.
	Clock clock.Clock
}

// TryLock sends one pre-reboot, asking the server to wait up to wait for a slot (0 asks for an
// answer at once). It returns nil when the client holds a slot, an error matching
// ErrSemaphoreFull when none was free, another *Error for other refusals, or the error of the
// request. waited reports whether the server granted the long-poll extension.
func (c *Client) TryLock(ctx context.Context, wait time.Duration) (waited bool, err error) {
	resp, err := c.post(ctx, PathPreReboot, wait)
	if err != nil {
		return false, err
	}
	return resp.Header.Get(HeaderWait) != "", answer(resp)
}

// Lock blocks until the client holds a slot or ctx ends. Against a server with the long-poll
// extension, each request waits up to LongPoll; against others it polls every PollInterval,
// jittered. Refusals other than a full semaphore (a bad request, a forbidden id) and ctx's end
// are returned; a full semaphore and failed requests are retried.
func (c *Client) Lock(ctx context.Context) error {
	for {
		waited, err := c.TryLock(ctx, max(0, cmp.Or(c.LongPoll, DefaultLongPoll)))
		if err == nil {
			return nil
		}
		if fe, ok := errors.AsType[*Error](err); ok && !errors.Is(fe, ErrSemaphoreFull) && fe.Status < 500 {
			return err
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if waited && errors.Is(err, ErrSemaphoreFull) {
			continue // the server waited already
		}
		if err := clock.Sleep(ctx, cmp.Or[clock.Clock](c.Clock, clock.Real), c.jittered()); err != nil {
			return err
		}
	}
}

// Unlock sends a steady-state: it returns nil once the client holds no slot (also when it held
// none), an *Error for a refusal, or the error of the request.
func (c *Client) Unlock(ctx context.Context) error {
	resp, err := c.post(ctx, PathSteadyState, 0)
	if err != nil {
		return err
	}
	return answer(resp)
}

// jittered returns the poll interval, ±20%.
func (c *Client) jittered() time.Duration {
	d := cmp.Or(c.PollInterval, DefaultPollInterval)
	return d*8/10 + rand.N(d*4/10+1)
}

// post sends one request.
func (c *Client) post(ctx context.Context, path string, wait time.Duration) (*http.Response, error) {
	body, err := json.Marshal(Request{ClientParams: ClientParams{ID: c.ID, Group: c.Group}})
	if err != nil {
		return nil, err
	}
	url := strings.TrimSuffix(c.URL, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("FleetLock %s: %w", path, err)
	}
	req.Header.Set(HeaderProtocol, "true")
	req.Header.Set("Content-Type", "application/json")
	if wait > 0 {
		req.Header.Set(HeaderWait, FormatWait(wait))
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: max(0, cmp.Or(c.LongPoll, DefaultLongPoll)) + 30*time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("FleetLock %s: %w", path, err)
	}
	return resp, nil
}

// answer reads a response: nil for 200, else the server's *Error (a made-up one when the body
// is not FleetLock's).
func answer(resp *http.Response) error {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	e := &Error{Status: resp.StatusCode}
	if err != nil || json.Unmarshal(body, e) != nil || e.Kind == "" {
		e.Kind, e.Value = "unexpected_answer", strings.TrimSpace(string(body))
	}
	return e
}
