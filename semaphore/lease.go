package semaphore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// waitLease is the lease of one wait: granted when the waiter enqueues,
// it binds the waiter key (and the last-waiter key while that names it),
// is kept alive only while the wait goes on, and ends with the wait (see
// endLease). Nobody keeps it alive afterwards, so whatever is still bound
// to it expires within its TTL even when revoking it fails.
type waitLease struct {
	id   clientv3.LeaseID
	ttl  time.Duration // as granted
	stop context.CancelFunc
	done chan struct{} // closed once the keep-alive has stopped
	lost chan struct{} // closed when the keep-alive ended on its own
	end  sync.Once
	err  error // the outcome of endLease
}

// grantLease grants the lease of a new wait and starts its keep-alive.
// It fails with ErrClosed when s is closed.
func (s *Semaphore) grantLease(ctx context.Context) (*waitLease, error) {
	if s.isClosed() {
		return nil, ErrClosed
	}
	resp, err := s.client.Grant(ctx, int64(s.opts.waiterTTL))
	if err != nil {
		return nil, fmt.Errorf("grant waiter lease: %w", err)
	}
	kctx, stop := context.WithCancel(context.Background())
	l := &waitLease{id: resp.ID, ttl: time.Duration(resp.TTL) * time.Second, stop: stop, done: make(chan struct{}), lost: make(chan struct{})}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.leases[l] = struct{}{}
	}
	s.mu.Unlock()
	go s.keepAlive(kctx, l)
	if closed { // lost a race with Close
		_ = s.endLease(l, true)
		return nil, ErrClosed
	}
	return l, nil
}

// keepAlive renews l until ctx ends. The first renewal is due a third of
// the TTL after the grant, so a wait shorter than that sends none. When
// the renewals end on their own (the lease expired or was revoked, or etcd
// did not answer for the TTL), it closes l.lost.
func (s *Semaphore) keepAlive(ctx context.Context, l *waitLease) {
	defer close(l.done)
	t := time.NewTimer(l.ttl / 3)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	ch, err := s.client.KeepAlive(ctx, l.id)
	if err == nil {
		for range ch {
		}
	}
	if ctx.Err() == nil {
		close(l.lost)
	}
}

// endLease ends the wait of l, once: it stops the keep-alive, waits until
// it has stopped, and, with revoke, revokes the lease, which deletes the
// keys still bound to it. Without revoke the lease, which must hold no key
// any more, expires within its TTL. A later call returns the outcome of the
// first. A lease that is already gone is not an error; if the revocation
// fails, the lease expires within its TTL.
func (s *Semaphore) endLease(l *waitLease, revoke bool) error {
	l.end.Do(func() {
		s.mu.Lock()
		delete(s.leases, l)
		s.mu.Unlock()
		l.stop()
		<-l.done
		if !revoke {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.ttl)
		defer cancel()
		if _, err := s.client.Revoke(ctx, l.id); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
			l.err = fmt.Errorf("revoke waiter lease %x: %w", int64(l.id), err)
		}
	})
	return l.err
}
