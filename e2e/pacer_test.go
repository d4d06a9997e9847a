package e2e_test

import (
	"context"
	"sync"
	"time"
)

// pacer holds back the return of nodes from their reboots: a node that
// went down comes back only with a permit, or once the pacer is open, and
// then after the downtime (the length of a reboot). It lets the test place
// its faults in the middle of the rollout.
type pacer struct {
	permits  chan struct{}
	open     chan struct{}
	once     sync.Once
	downtime time.Duration
}

func newPacer() *pacer {
	return &pacer{permits: make(chan struct{}, fleet), open: make(chan struct{})}
}

// allow lets n more nodes come back.
func (p *pacer) allow(n int) {
	for range n {
		p.permits <- struct{}{}
	}
}

// openAll lets every node come back from now on.
func (p *pacer) openAll() { p.once.Do(func() { close(p.open) }) }

// wait returns when the caller may come back, or with ctx's error.
func (p *pacer) wait(ctx context.Context) error {
	select {
	case <-p.permits:
	case <-p.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	if p.downtime == 0 {
		return nil
	}
	t := time.NewTimer(p.downtime) // the length of a reboot, not a synchronisation
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
