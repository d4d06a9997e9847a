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
	key  string        // the waiter key bound to it
	ttl  time.Duration // as granted
	stop context.CancelFunc
	done chan struct{} // closed once the keep-alive has stopped
	lost chan struct{} // closed when the keep-alive ended on its own
	end  sync.Once
	err  error // the outcome of endLease
}

// grantLease grants the lease of a new wait of h, which names its waiter key, and starts its
// keep-alive. It fails with ErrClosed when s is closed.
func (s *Semaphore) grantLease(ctx context.Context, h Holder) (*waitLease, error) {
	if s.isClosed() {
		return nil, ErrClosed
	}
	// A grant sent twice leaves a lease that holds no key: it expires.
	resp, err := resend(ctx, func(c context.Context) (*clientv3.LeaseGrantResponse, error) {
		return s.client.Grant(c, int64(s.opts.waiterTTL))
	})
	if err != nil {
		return nil, fmt.Errorf("grant waiter lease: %w", err)
	}
	kctx, stop := context.WithCancel(context.Background())
	l := &waitLease{id: resp.ID, key: waiterKey(s.queue, resp.ID, h), ttl: time.Duration(resp.TTL) * time.Second, stop: stop, done: make(chan struct{}), lost: make(chan struct{})}
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

// keepAlive renews l until ctx ends, through the client's keep-alive stream (one for all the
// leases of the client: a stream costs a token request under etcd's authentication), the first
// renewal a third of the TTL after the grant, so a wait shorter than that sends none. When the
// stream gives up on the lease (it got no answer for the TTL, for instance during an outage of
// etcd), keepAlive reads the waiter key, as often as it must until etcd answers, and goes on
// renewing the lease while the key is there: the lease outlives an outage, since etcd's new
// leader renews every lease. When the key is gone (the lease expired or was revoked, or the wait
// is over), it closes l.lost.
func (s *Semaphore) keepAlive(ctx context.Context, l *waitLease) {
	defer close(l.done)
	if pause(ctx, l.ttl/3) != nil {
		return
	}
	for {
		if ch, err := s.client.KeepAlive(ctx, l.id); err == nil {
			for range ch {
			}
		}
		if ctx.Err() != nil {
			return
		}
		if !s.bound(ctx, l) {
			if ctx.Err() == nil {
				close(l.lost)
			}
			return
		}
	}
}

// bound reads l's waiter key until etcd answers (retryPause between the tries): it reports false
// when etcd answered that the key is gone or bound to another lease, true otherwise (also when
// ctx ended first). It does not ask etcd about the lease: a new leader answers TimeToLive from
// its lease table before it has applied the last writes of the old term, and may deny a lease
// granted just before an outage; a read is linearizable, and the key goes with the lease.
func (s *Semaphore) bound(ctx context.Context, l *waitLease) bool {
	for {
		resp, err := s.get(ctx, l.key)
		switch {
		case err == nil:
			return len(resp.Kvs) == 1 && clientv3.LeaseID(resp.Kvs[0].Lease) == l.id
		case pause(ctx, retryPause) != nil:
			return true
		}
	}
}

// endLease ends the wait of l, once: it stops the keep-alive, waits until
// it has stopped, and, with revoke, revokes the lease, which deletes the
// keys still bound to it. Without revoke the lease, which must hold no key
// any more, expires within its TTL. A later call returns the outcome of the
// first. A lease that is already gone is not an error. If the revocation
// fails because etcd did not answer, it is tried again in the background (see revokeLater);
// if that fails too, the lease expires within its TTL.
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
		if err := s.revokeLease(ctx, l.id); err != nil {
			l.err = fmt.Errorf("revoke waiter lease %x: %w", int64(l.id), err)
			if retryable(ctx, err) {
				s.revokeLater(l.id)
			}
		}
	})
	return l.err
}

// revokeLease revokes lease id, with the tries of resend; a lease already gone is no error.
func (s *Semaphore) revokeLease(ctx context.Context, id clientv3.LeaseID) error {
	_, err := resend(ctx, func(c context.Context) (*clientv3.LeaseRevokeResponse, error) { return s.client.Revoke(c, id) })
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return nil
	}
	return err
}

// revokeLater revokes lease id in the background, retryPause after each failure, until etcd
// answers or s is closed. A lease whose revocation met an outage of etcd outlives the outage,
// since etcd's new leader renews every lease, and its waiter key would hold up the queue for a
// TTL after etcd is back; so it goes as soon as etcd answers.
func (s *Semaphore) revokeLater(id clientv3.LeaseID) {
	s.mu.Lock() // Close waits for s.revoking once s.closed is set
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.revoking.Go(func() {
		for pause(s.closing, retryPause) == nil {
			if err := s.revokeLease(s.closing, id); !retryable(s.closing, err) {
				return
			}
		}
	})
}
