package service

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"locksmith.dev/locksmith/fleetlock"
	"locksmith.dev/locksmith/semaphore/slot"
)

// errNoStaleRemoval: FleetLock has no way to remove another node's slot.
var errNoStaleRemoval = errors.New("stale slots cannot be removed through FleetLock")

// fleetLock is the daemon.Lock of a node that takes its slot from a FleetLock server instead of
// etcd. FleetLock tells a client only "you hold a slot now" or "no slot is free"; it cannot
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
type fleetLock struct {
	client *fleetlock.Client

	mu    sync.Mutex
	state fleetState
}

type fleetState int

const (
	fleetUnknown  fleetState = iota // as at start: may hold a slot from before a reboot
	fleetAcquired                   // this process took a slot
	fleetReleased                   // this process gave it back
)

// newFleetLock returns the Lock of machine id in group, from the server at url.
func newFleetLock(url, id, group string, poll time.Duration, hc *http.Client) *fleetLock {
	return &fleetLock{client: &fleetlock.Client{URL: url, ID: id, Group: group, PollInterval: poll, HTTP: hc}}
}

func (l *fleetLock) set(s fleetState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state = s
}

// Get reports what this Lock knows of the slot; see fleetLock.
func (l *fleetLock) Get(ctx context.Context) (slot.State, error) {
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
		if errors.Is(err, fleetlock.ErrSemaphoreFull) {
			return slot.State{Max: 1}, nil
		}
		return slot.State{}, err
	}
	return mine, nil
}

// Acquire blocks until the server grants a slot (long-polling when it can, else polling).
func (l *fleetLock) Acquire(ctx context.Context, _ slot.Holder) error {
	if err := l.client.Lock(ctx); err != nil {
		return err
	}
	l.set(fleetAcquired)
	return nil
}

// Release gives the slot back; the server answers 200 whether a slot was held or not.
func (l *fleetLock) Release(ctx context.Context, _ string) error {
	if err := l.client.Unlock(ctx); err != nil {
		return err
	}
	l.set(fleetReleased)
	return nil
}

// RemoveStale is refused.
func (l *fleetLock) RemoveStale(context.Context, time.Duration, string, string) (slot.Holder, error) {
	return slot.Holder{}, errNoStaleRemoval
}

// WaitChange waits for ctx: a FleetLock client hears of no change.
func (l *fleetLock) WaitChange(ctx context.Context, _ int64) (slot.State, error) {
	<-ctx.Done()
	return slot.State{}, context.Cause(ctx)
}
