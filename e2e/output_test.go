package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
)

// output collects what the processes of one node write, across its boots,
// and lets the harness wait for a line.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

// Write appends p; it serves as a process's stdout and stderr.
func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

// Len returns how many bytes were written so far, a mark for waitFor.
func (o *output) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Len()
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until what was written from the mark from on contains s.
func (o *output) waitFor(ctx context.Context, from int, s string) error {
	for {
		o.mu.Lock()
		found := strings.Contains(o.buf.String()[from:], s)
		changed := o.changed
		o.mu.Unlock()
		if found {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for %q in the output: %w", s, context.Cause(ctx))
		}
	}
}
