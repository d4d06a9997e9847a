// Package notify posts a node's events to a webhook, as JSON with a "text" field, so that
// Slack- and Mattermost-style incoming webhooks show them as they are.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"locksmith.dev/locksmith/history"
)

// Webhook posts events to URL.
type Webhook struct {
	URL string
	// Client sends the requests; http.DefaultClient when nil. The caller bounds each post
	// with its context.
	Client *http.Client
}

// Body is what a post carries: the event's fields, and Text, the event in one line.
type Body struct {
	Text string `json:"text"`
	history.Event
}

// NewBody returns the body of the post of e.
func NewBody(e history.Event) Body {
	return Body{Text: "locksmith: " + e.Text(), Event: e}
}

// Send posts e once. It returns nil when the server answered 2xx, or an error naming the status
// or the failure.
func (w Webhook) Send(ctx context.Context, e history.Event) error {
	body, err := json.Marshal(NewBody(e))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	c := w.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("post the event to the webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post the event to the webhook: %s answered %s", w.URL, resp.Status)
	}
	return nil
}
