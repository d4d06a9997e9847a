package semaphore

import (
	"context"
	"errors"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

type options struct {
	now       func() time.Time
	waiterTTL int
	headWait  time.Duration                 // see defaultHeadWait
	poll      time.Duration                 // see pollInterval
	confirm   time.Duration                 // see confirmTimeout
	trouble   func(error)                   // see WithTrouble
	queued    func(id string, position int) // see WithQueued
	// Test hooks, when set: wrapWatch may replace the channel of a
	// waiter's watch; settled runs when a waiter waits for an event, its
	// watch confirmed and its checks done; backedOff runs before the
	// back-off of delay d after a write lost its n-th race.
	wrapWatch func(clientv3.WatchChan) clientv3.WatchChan
	settled   func()
	backedOff func(n int, d time.Duration)
}

// Option configures a Semaphore.
type Option func(*options)

// WithClock sets the clock used for Holder.AcquiredAt, the age of holders
// in RemoveStale and Removal.At. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithWaiterTTL sets the TTL, in seconds, of the lease that binds the
// waiter key of a blocked Acquire call (each wait has its own lease, kept
// alive while it waits): a waiter whose process died, or whose clean-up
// failed, leaves the queue after at most this long. Values below 1 select
// the default, 10 seconds; etcd raises values below its minimum TTL.
func WithWaiterTTL(seconds int) Option { return func(o *options) { o.waiterTTL = seconds } }

// WithTrouble sets a function that a blocked Acquire calls, from its own goroutine, with each
// error of etcd it waits out instead of returning it (a member that does not answer, no member
// reachable, no leader): it stays in the queue and tries again within about a second. The
// function must not block; it is for logs.
func WithTrouble(f func(err error)) Option { return func(o *options) { o.trouble = f } }

// WithQueued sets a function that a blocked Acquire calls, from its own goroutine, each time it
// joins the queue, with the holder id and its position then: 1 when nobody was ahead of it. The
// position costs no request: etcd counts the queue in the transaction that joins it. The function
// must not block; it is for logs and the history.
func WithQueued(f func(id string, position int)) Option { return func(o *options) { o.queued = f } }

// Semaphore is a handle on the semaphore of one group. It is safe for
// concurrent use; its methods may be called from many goroutines, also
// with different holder ids. Close ends the waits in progress; it does not
// close the client.
type Semaphore struct {
	client *clientv3.Client
	key    string
	queue  string // prefix of the waiter keys
	last   string // the last-waiter key (see lastWaiterKey)
	opts   options

	closing  context.Context    // ends with Close
	stop     context.CancelFunc // ends closing
	revoking sync.WaitGroup     // the revocations retried in the background (see revokeLater)

	mu     sync.Mutex
	cached *snapshot               // last value seen; nil before the first request
	leases map[*waitLease]struct{} // of the waits in progress
	closed bool
}

// New returns a handle on the semaphore of group, using client. It does
// not contact etcd; the key is created by the first write.
func New(client *clientv3.Client, group string, opts ...Option) *Semaphore {
	o := options{now: time.Now, waiterTTL: defaultWaiterTTL, headWait: defaultHeadWait, poll: pollInterval, confirm: confirmTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.waiterTTL < 1 {
		o.waiterTTL = defaultWaiterTTL
	}
	key := Key(group)
	closing, stop := context.WithCancel(context.Background())
	return &Semaphore{client: client, key: key, queue: waitersPrefix(key), last: lastWaiterKey(key), opts: o,
		closing: closing, stop: stop, leases: map[*waitLease]struct{}{}}
}

// Key returns the etcd key of the semaphore, as Key(group).
func (s *Semaphore) Key() string { return s.key }

// Close revokes the leases of the Acquire calls that wait, which removes
// their waiter keys from the queue. Acquire calls that are waiting return
// ErrClosed, and later Acquire calls that would have to wait return
// ErrClosed at once. The slots held are not touched (they are never bound
// to a lease), and the other methods keep working while the client is
// open. Close returns the errors of the revocations, if any (a lease that
// could not be revoked expires within the waiter TTL); closing twice
// returns nil.
func (s *Semaphore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.stop()
	leases := s.leases
	s.leases = nil
	s.mu.Unlock()
	var errs []error
	for l := range leases {
		errs = append(errs, s.endLease(l, true))
	}
	s.revoking.Wait()
	return errors.Join(errs...)
}

// isClosed reports whether Close was called.
func (s *Semaphore) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// wctx returns the context of a write: detached from ctx's cancellation so
// that the caller learns the outcome of a write once it has been sent, but
// bounded by requestTimeout.
func wctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
}

// Last returns the last state this Semaphore saw in etcd, by any of its calls, without asking
// etcd, and false before its first request or when that value was corrupt. It may be stale: it
// is for metrics and displays, never for a decision.
func (s *Semaphore) Last() (State, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached == nil || s.cached.corrupt != nil || s.cached.state.Revision == 0 {
		return State{}, false
	}
	return s.cached.state.Clone(), true
}
