package fleetlock

import (
	"context"
	"errors"
	"sync"
	"time"

	"locksmith.dev/locksmith/semaphore/slot"
)

// ErrNoStaleRemoval is returned by NodeLock.RemoveStale: FleetLock has no way to remove another
// node's slot.
var ErrNoStaleRemoval = errors.New("fleetlock: stale slots cannot be removed through FleetLock")

// NodeLock is the daemon's Lock (package internal/daemon) of a node that takes its slot from a
// FleetLock server instead of etcd. FleetLock tells a client only "you hold a slot now" or "no slot is free"; it cannot
// read the semaphore. So this Lock answers Get from what it knows:
//
//   - Until this process takes or gives back a slot, it reports this machine as holding a slot
//     of unknown boot, without asking: at start the daemon then runs the post-reboot checks and
//     gives the slot back (a steady-state that changes nothing when none was held), as Zincati
//     does when it starts.
//   - Once Acquire has taken a slot, Get confirms it with a pre-reboot, which is recursive: 200
//     means the slot is still this machine's (or was free and is taken again), a full semaphore
//     that it was lost, so that the daemon does not reboot without it.
//   - Once Release has given it back, Get reports no holder.
//
// WaitChange never sees a change (it waits for ctx), and RemoveStale is refused: locksmithd's
// configuration rejects --lock-ttl with a FleetLock server.
type NodeLock struct {
	client *Client

	mu    sync.Mutex
	state fleetState
}

type fleetState int

const (
	fleetUnknown  fleetState = iota // as at start: may hold a slot from before a reboot
	fleetAcquired                   // this process took a slot
	fleetReleased                   // this process gave it back
)

// NewNodeLock returns the Lock of the node that c names (its ID and Group).
func NewNodeLock(c *Client) *NodeLock { return &NodeLock{client: c} }

func (l *NodeLock) set(s fleetState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state = s
}

// Get reports what this Lock knows of the slot; see NodeLock.
func (l *NodeLock) Get(ctx context.Context) (slot.State, error) {
	l.mu.Lock()
	s := l.state
	l.mu.Unlock()
	mine := slot.State{Max: 1, Holders: []slot.Holder{{ID: l.client.ID}}}
	switch s {
	case fleetUnknown:
		return mine, nil
	case fleetReleased:
		return slot.State{Max: 1}, nil
	}
	if _, err := l.client.TryLock(ctx, 0); err != nil {
		if errors.Is(err, ErrSemaphoreFull) {
			return slot.State{Max: 1}, nil
		}
		return slot.State{}, err
	}
	return mine, nil
}

// Acquire blocks until the server grants a slot (long-polling when it can, else polling).
func (l *NodeLock) Acquire(ctx context.Context, _ slot.Holder) error {
	if err := l.client.Lock(ctx); err != nil {
		return err
	}
	l.set(fleetAcquired)
	return nil
}

// Release gives the slot back; the server answers 200 whether a slot was held or not.
func (l *NodeLock) Release(ctx context.Context, _ string) error {
	if err := l.client.Unlock(ctx); err != nil {
		return err
	}
	l.set(fleetReleased)
	return nil
}

// RemoveStale is refused.
func (l *NodeLock) RemoveStale(context.Context, time.Duration, string, string) (slot.Holder, error) {
	return slot.Holder{}, ErrNoStaleRemoval
}

// WaitChange waits for ctx: a FleetLock client hears of no change.
func (l *NodeLock) WaitChange(ctx context.Context, _ int64) (slot.State, error) {
	<-ctx.Done()
	return slot.State{}, context.Cause(ctx)
}
