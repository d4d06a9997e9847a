package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/sendq"
)

var booted = history.Event{Time: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Kind: history.Booted, Node: "a",
	Group: "web", OSVersion: "4081.2.0"}

func TestThePostCarriesTextAndTheEvent(t *testing.T) {
	got := make(chan map[string]any, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&m) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got <- m
	}))
	defer srv.Close()
	if err := (Webhook{URL: srv.URL}).Send(t.Context(), booted); err != nil {
		t.Fatal(err)
	}
	m := <-got
	if m["text"] != "locksmith: node a booted OS version 4081.2.0" || m["kind"] != "booted" || m["node"] != "a" || m["group"] != "web" {
		t.Errorf("body %v", m)
	}
}

func TestAnErrorStatusIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such hook", http.StatusNotFound)
	}))
	defer srv.Close()
	err := Webhook{URL: srv.URL}.Send(t.Context(), booted)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Send to a 404: %v", err)
	}
}

// A server that never answers costs each post its timeout, and the queue goes on with the next
// event: the daemon is never held up.
func TestAHangingServerCostsEachPostItsTimeout(t *testing.T) {
	hung := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hung:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hung)
	var errs []error
	sent := make(chan error, 4)
	q := sendq.Start(sendq.Config{What: "webhook post", Tries: 2, Timeout: 50 * time.Millisecond, Backoff: time.Millisecond},
		func(ctx context.Context, e history.Event) error {
			err := Webhook{URL: srv.URL}.Send(ctx, e)
			sent <- err
			return err
		})
	q.Put(booted)
	q.Put(booted)
	q.Close(t.Context())
	close(sent)
	for err := range sent {
		errs = append(errs, err)
	}
	if len(errs) != 4 {
		t.Fatalf("%d tries, want 2 for each of the 2 events", len(errs))
	}
	for _, err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("try ended with %v, want the timeout", err)
		}
	}
}
