// Package testlog collects the lines that a test's subject writes (its
// log, a process's output, sd_notify datagrams) and lets the test wait for
// a line without sleeping.
package testlog

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Lines is a line-oriented, concurrency-safe log. Its zero value is empty
// and ready to use.
type Lines struct {
	mu      sync.Mutex
	all     []string
	partial string        // written text not yet ended by a newline
	changed chan struct{} // closed and replaced by every new line
}

// Add appends the line s.
func (l *Lines) Add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.addLocked(s)
}

func (l *Lines) addLocked(s string) {
	l.all = append(l.all, s)
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// Write appends the lines of p, so that Lines can serve as a process's
// stdout or stderr or as a logger's output. Text after the last newline
// becomes a line once a later Write ends it; until then only String
// shows it. Write never fails.
func (l *Lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	text := l.partial + string(p)
	for {
		line, rest, found := strings.Cut(text, "\n")
		if !found {
			l.partial = text
			return len(p), nil
		}
		l.addLocked(line)
		text = rest
	}
}

// Len returns how many lines there are, a mark for [Lines.Wait].
func (l *Lines) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.all)
}

// String returns every line, and any unfinished one, joined by newlines.
func (l *Lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	all := l.all[:len(l.all):len(l.all)]
	if l.partial != "" {
		all = append(all, l.partial)
	}
	return strings.Join(all, "\n")
}

// Wait waits for the first line at or after index from that contains
// every one of parts, and returns its index and text. When ctx ends first
// it returns an error that wraps ctx's cause and quotes parts.
func (l *Lines) Wait(ctx context.Context, from int, parts ...string) (int, string, error) {
	for {
		l.mu.Lock()
		for i := max(from, 0); i < len(l.all); i++ {
			if line := l.all[i]; containsAll(line, parts) {
				l.mu.Unlock()
				return i, line, nil
			}
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return -1, "", fmt.Errorf("no line with %q: %w", parts, context.Cause(ctx))
		}
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
