package server

import (
	"context"
	"errors"
	"sync"

	"locksmith.dev/locksmith/semaphore"
)

// claimKey names a client in a group.
type claimKey struct{ group, id string }

// claim is a client's place in a semaphore's queue, held by the server while the client is away
// between its polls (or waits in a long poll). Its goroutine (Server.runClaim) waits for the slot
// with semaphore.Acquire; the slot it is admitted to is the client's, and the client's next
// pre-reboot takes it over. The claim ends when the client takes it over, withdraws (a
// steady-state), or stays away for the claim timeout; only in that last case does the claim give
// back a slot it was admitted to.
type claim struct {
	key      claimKey
	touch    chan struct{}      // the client came back: the claim timeout starts again
	admitted chan struct{}      // closed when the queue admitted the client into a slot
	ended    chan struct{}      // closed when the claim's goroutine has returned
	cancel   context.CancelFunc // ends the goroutine's wait

	mu   sync.Mutex
	over bool  // taken over, withdrawn or expired: the goroutine must not give back the slot
	err  error // why the wait for the slot failed, once ended
}

func newClaim(key claimKey, cancel context.CancelFunc) *claim {
	return &claim{key: key, touch: make(chan struct{}, 1), admitted: make(chan struct{}),
		ended: make(chan struct{}), cancel: cancel}
}

// end marks the claim over and reports whether it was not over before: whoever ends it first
// decides what becomes of an admitted slot.
func (c *claim) end() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := !c.over
	c.over = true
	return first
}

// takeOver runs try, which asks etcd whether the client holds its slot (or takes one), while
// nobody else may end the claim; when try succeeds the claim is the client's, and over. gone
// reports a claim that had ended already: try did not run, and the slot (if any) is being given
// back or was left to the client.
func (c *claim) takeOver(try func() error) (taken, gone bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.over {
		return false, true, nil
	}
	if err := try(); err != nil {
		return false, false, err
	}
	c.over = true
	return true, false, nil
}

// isOver reports whether the claim was taken over, withdrawn or expired.
func (c *claim) isOver() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.over
}

// come records that the client came back, without blocking.
func (c *claim) come() {
	select {
	case c.touch <- struct{}{}:
	default:
	}
}

// isAdmitted reports whether the queue admitted the client.
func (c *claim) isAdmitted() bool {
	select {
	case <-c.admitted:
		return true
	default:
		return false
	}
}

// failure returns why the wait failed, once the claim has ended (nil if it did not fail).
func (c *claim) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// runClaim waits for a slot for h on sem until the claim ends: see claim. It returns when the
// wait failed, when the claim was taken over or withdrawn (ctx ends), or when the client stayed
// away for the claim timeout, measured from its last request and again from the admission; an
// admitted slot is then given back.
func (s *Server) runClaim(ctx context.Context, c *claim, sem *semaphore.Semaphore, h semaphore.Holder) {
	defer close(c.ended)
	defer s.forget(c)
	acquired := make(chan error, 1)
	go func() { acquired <- sem.Acquire(ctx, h) }()
	timer := s.clock.NewTimer(s.cfg.ClaimTimeout)
	defer func() { timer.Stop() }()
	restart := func() {
		timer.Stop()
		timer = s.clock.NewTimer(s.cfg.ClaimTimeout)
	}
	for {
		select {
		case <-c.touch:
			restart()
		case err := <-acquired:
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				if ctx.Err() == nil {
					s.log.Warn("FleetLock: waiting for a slot for a client failed", "group", c.key.group, "id", c.key.id, "error", err)
				}
				return
			}
			acquired = nil
			restart() // the claim timeout runs again from the admission
			close(c.admitted)
			s.log.Info("FleetLock: a waiting client was admitted into a slot; its next pre-reboot takes it",
				"group", c.key.group, "id", c.key.id, "claim_timeout", s.cfg.ClaimTimeout)
		case <-timer.C():
			if !c.end() {
				return // taken over or withdrawn meanwhile
			}
			c.cancel()
			if acquired != nil && <-acquired != nil {
				s.log.Info("FleetLock: a client did not come back within the claim timeout; it lost its place in the queue",
					"group", c.key.group, "id", c.key.id, "claim_timeout", s.cfg.ClaimTimeout)
				return
			}
			s.expire(c, sem)
			return
		case <-ctx.Done():
			if acquired != nil {
				<-acquired
			}
			return
		}
	}
}

// expire gives back the slot admitted to a client that did not come back within the claim
// timeout, so that it does not stay idle. The release goes through the semaphore's CAS; one
// that finds the slot gone (an operator's unlock) is fine.
func (s *Server) expire(c *claim, sem *semaphore.Semaphore) {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	err := sem.Release(ctx, c.key.id)
	switch {
	case err == nil:
		s.log.Warn("FleetLock: gave back the slot admitted to a client that did not come back within the claim timeout",
			"group", c.key.group, "id", c.key.id, "claim_timeout", s.cfg.ClaimTimeout)
		s.metrics.expired()
	case errors.Is(err, semaphore.ErrNotHolder):
	default:
		s.log.Error("FleetLock: cannot give back the slot of a client that did not come back; it stays held until its next pre-reboot, a steady-state, or locksmithctl unlock",
			"group", c.key.group, "id", c.key.id, "error", err)
	}
}
