package semaphore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// waiterLease is the lease that binds the waiter keys of one Semaphore.
type waiterLease struct {
	id     clientv3.LeaseID
	cancel context.CancelFunc // stops the keep-alive
}

// leaseID returns the waiter lease, granting it and starting its
// keep-alive on first use (or after the previous one was lost).
func (s *Semaphore) leaseID(ctx context.Context) (clientv3.LeaseID, error) {
	s.mu.Lock()
	closed, l := s.closed, s.lease
	s.mu.Unlock()
	switch {
	case closed:
		return 0, ErrClosed
	case l != nil:
		return l.id, nil
	}
	resp, err := s.client.Grant(ctx, int64(s.opts.waiterTTL))
	if err != nil {
		return 0, fmt.Errorf("grant waiter lease: %w", err)
	}
	kctx, cancel := context.WithCancel(context.Background())
	l = &waiterLease{id: resp.ID, cancel: cancel}
	ch, err := s.client.KeepAlive(kctx, l.id)
	if err != nil {
		_ = l.revoke(s.client, s.opts.waiterTTL)
		return 0, fmt.Errorf("keep waiter lease alive: %w", err)
	}
	s.mu.Lock()
	closed, other := s.closed, s.lease
	if !closed && other == nil {
		s.lease = l
	}
	s.mu.Unlock()
	if closed || other != nil { // lost a race with Close or another waiter
		_ = l.revoke(s.client, s.opts.waiterTTL)
		if closed {
			return 0, ErrClosed
		}
		return other.id, nil
	}
	go func() {
		for range ch { // the channel closes when the lease is gone or kctx ends
		}
		s.forgetLease(l.id)
	}()
	return l.id, nil
}

// forgetLease drops the waiter lease id (expired or not found) so that the
// next waiter grants a new one.
func (s *Semaphore) forgetLease(id clientv3.LeaseID) {
	s.mu.Lock()
	l := s.lease
	if l != nil && l.id == id {
		s.lease = nil
	}
	s.mu.Unlock()
	if l != nil && l.id == id {
		l.cancel()
	}
}

// revoke stops the keep-alive and revokes the lease, waiting at most ttl
// seconds (after which the lease expires anyway). A lease that is already
// gone is not an error.
func (l *waiterLease) revoke(client *clientv3.Client, ttl int) error {
	l.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(ttl)*time.Second)
	defer cancel()
	if _, err := client.Revoke(ctx, l.id); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return fmt.Errorf("revoke waiter lease %x: %w", int64(l.id), err)
	}
	return nil
}
