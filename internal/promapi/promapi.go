// Package promapi asks Prometheus's HTTP API for the instant value of a PromQL expression.
package promapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ErrBadQuery is wrapped when Prometheus rejects the expression (its "bad_data" error).
var ErrBadQuery = errors.New("prometheus rejected the query")

// Client queries the Prometheus at URL (e.g. "http://prometheus:9090").
type Client struct {
	URL string
	// HTTP sends the requests; http.DefaultClient when nil. The caller bounds each query with
	// its context.
	HTTP *http.Client
}

// Sample is one series of an instant vector.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query evaluates expr now (GET /api/v1/query) and returns its instant vector (a scalar is one
// sample without labels). It returns an error wrapping ErrBadQuery when Prometheus rejects
// expr, or another one when it cannot be asked or answers something else.
func (c Client) Query(ctx context.Context, expr string) ([]Sample, error) {
	u := strings.TrimSuffix(c.URL, "/") + "/api/v1/query?query=" + url.QueryEscape(expr)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query prometheus at %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("query prometheus at %s: %s, and no API answer: %w", c.URL, resp.Status, err)
	}
	if body.Status != "success" {
		if body.ErrorType == "bad_data" {
			return nil, fmt.Errorf("%w %q: %s", ErrBadQuery, expr, body.Error)
		}
		return nil, fmt.Errorf("query prometheus at %s: %s: %s", c.URL, body.ErrorType, body.Error)
	}
	return parse(body.Data.ResultType, body.Data.Result)
}

// parse reads a vector or a scalar.
func parse(kind string, raw json.RawMessage) ([]Sample, error) {
	switch kind {
	case "vector":
		var res []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			return nil, err
		}
		out := make([]Sample, 0, len(res))
		for _, r := range res {
			v, err := value(r.Value[1])
			if err != nil {
				return nil, err
			}
			out = append(out, Sample{Labels: r.Metric, Value: v})
		}
		return out, nil
	case "scalar":
		var res [2]any
		if err := json.Unmarshal(raw, &res); err != nil {
			return nil, err
		}
		v, err := value(res[1])
		return []Sample{{Value: v}}, err
	}
	return nil, fmt.Errorf("prometheus answered a %s, not an instant vector", kind)
}

func value(v any) (float64, error) {
	s, _ := v.(string)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("prometheus answered the value %v: %w", v, err)
	}
	return f, nil
}
