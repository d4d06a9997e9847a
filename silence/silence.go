// Package silence creates and expires Alertmanager silences for a node's planned reboot,
// through Alertmanager's HTTP API v2.
package silence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Matcher selects alerts by one label, as in Alertmanager's API.
type Matcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

// ErrBadMatcher is wrapped by ParseMatchers' errors.
var ErrBadMatcher = errors.New("invalid silence matcher")

// matcherRE is one matcher: a label name, an operator and a value, optionally quoted.
var matcherRE = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*)$`)

// ParseMatchers parses a comma-separated list such as `instance=~"web-1(:[0-9]+)?",job=node`:
// each a label name, one of = != =~ !~, and a value, quoted or not (a quoted value may hold
// commas). It returns an error wrapping ErrBadMatcher that names the bad matcher.
func ParseMatchers(spec string) ([]Matcher, error) {
	var out []Matcher
	for _, part := range splitOutsideQuotes(spec) {
		part = strings.TrimSpace(part)
		m := matcherRE.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("%w %q: want NAME=VALUE, NAME!=VALUE, NAME=~REGEX or NAME!~REGEX", ErrBadMatcher, part)
		}
		value := strings.TrimSpace(m[3])
		if strings.HasPrefix(value, `"`) {
			v, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("%w %q: the value is not a well-quoted string", ErrBadMatcher, part)
			}
			value = v
		}
		regex := strings.HasSuffix(m[2], "~")
		if regex {
			if _, err := regexp.Compile(value); err != nil {
				return nil, fmt.Errorf("%w %q: %v", ErrBadMatcher, part, err)
			}
		}
		out = append(out, Matcher{Name: m[1], Value: value, IsRegex: regex, IsEqual: m[2][0] == '='})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no matcher in %q", ErrBadMatcher, spec)
	}
	return out, nil
}

// splitOutsideQuotes splits s at the commas that are not inside double quotes.
func splitOutsideQuotes(s string) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == ',' && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if strings.TrimSpace(s[start:]) != "" || len(parts) > 0 {
		parts = append(parts, s[start:])
	}
	return parts
}

// InstanceMatchers are the default matchers of a host: its instance label, with or without a
// port.
func InstanceMatchers(hostname string) []Matcher {
	return []Matcher{{Name: "instance", Value: regexp.QuoteMeta(hostname) + "(:[0-9]+)?", IsRegex: true, IsEqual: true}}
}

// Client talks to the Alertmanager at URL (e.g. "http://alertmanager:9093"). Every silence it
// creates is marked CreatedBy, by which ExpireMine finds them again after a reboot.
type Client struct {
	URL       string
	CreatedBy string
	// HTTP sends the requests; http.DefaultClient when nil. The caller bounds each call with
	// its context.
	HTTP *http.Client
}

// Create creates a silence of the alerts that matchers select, from now for d, with comment,
// and returns its id.
func (c Client) Create(ctx context.Context, matchers []Matcher, d time.Duration, comment string) (string, error) {
	now := time.Now().UTC()
	body, err := json.Marshal(map[string]any{
		"matchers": matchers, "startsAt": now, "endsAt": now.Add(d), "createdBy": c.CreatedBy, "comment": comment,
	})
	if err != nil {
		return "", err
	}
	var out struct {
		SilenceID string `json:"silenceID"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v2/silences", body, &out); err != nil {
		return "", fmt.Errorf("create a silence in alertmanager at %s: %w", c.URL, err)
	}
	return out.SilenceID, nil
}

// Silence is a silence as Alertmanager lists it.
type Silence struct {
	ID        string    `json:"id"`
	CreatedBy string    `json:"createdBy"`
	Matchers  []Matcher `json:"matchers"`
	EndsAt    time.Time `json:"endsAt"`
	Status    struct {
		State string `json:"state"` // "active", "pending" or "expired"
	} `json:"status"`
}

// List returns every silence Alertmanager knows.
func (c Client) List(ctx context.Context) ([]Silence, error) {
	var out []Silence
	if err := c.do(ctx, http.MethodGet, "/api/v2/silences", nil, &out); err != nil {
		return nil, fmt.Errorf("list the silences of alertmanager at %s: %w", c.URL, err)
	}
	return out, nil
}

// ExpireMine expires every silence that is not expired yet and was created by CreatedBy, and
// returns how many it expired.
func (c Client) ExpireMine(ctx context.Context) (int, error) {
	all, err := c.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range all {
		if s.CreatedBy != c.CreatedBy || s.Status.State == "expired" {
			continue
		}
		if err := c.do(ctx, http.MethodDelete, "/api/v2/silence/"+s.ID, nil, nil); err != nil {
			return n, fmt.Errorf("expire silence %s in alertmanager at %s: %w", s.ID, c.URL, err)
		}
		n++
	}
	return n, nil
}

// do sends one request and decodes a 2xx answer into out, if out is not nil.
func (c Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.URL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(raw)))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s, and no API answer: %w", resp.Status, err)
	}
	return nil
}
