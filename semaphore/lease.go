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
	lost   chan struct{}      // closed when the keep-alive has ended
}

// currentLease returns the waiter lease, granting it and starting its
// keep-alive on first use (or after the previous one was lost).
func (s *Semaphore) currentLease(ctx context.Context) (*waiterLease, error) {
	s.mu.Lock()
	closed, l := s.closed, s.lease
	s.mu.Unlock()
	switch {
	case closed:
		return nil, ErrClosed
	case l != nil:
		return l, nil
	}
	resp, err := s.client.Grant(ctx, int64(s.opts.waiterTTL))
	if err != nil {
		return nil, fmt.Errorf("grant waiter lease: %w", err)
	}
	kctx, cancel := context.WithCancel(context.Background())
	l = &waiterLease{id: resp.ID, cancel: cancel, lost: make(chan struct{})}
	ch, err := s.client.KeepAlive(kctx, l.id)
	if err != nil {
		_ = l.revoke(s.client, s.opts.waiterTTL)
		return nil, fmt.Errorf("keep waiter lease alive: %w", err)
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
			return nil, ErrClosed
		}
		return other, nil
	}
	go s.keepAlive(l, ch)
	return l, nil
}

// keepAlive consumes the keep-alive responses of l. When they end (the
// lease expired or was revoked, etcd did not answer for its TTL, or the
// keep-alive was stopped) it drops l and tells its waiters. A lease whose
// keep-alive ended on its own has expired on the server or is about to.
func (s *Semaphore) keepAlive(l *waiterLease, ch <-chan *clientv3.LeaseKeepAliveResponse) {
	for range ch {
	}
	s.forgetLease(l)
	close(l.lost)
}

// forgetLease drops l, if it is the current waiter lease, so that the
// next waiter grants a new one, and stops its keep-alive.
func (s *Semaphore) forgetLease(l *waiterLease) {
	s.mu.Lock()
	if s.lease == l {
		s.lease = nil
	}
	s.mu.Unlock()
	l.cancel()
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
