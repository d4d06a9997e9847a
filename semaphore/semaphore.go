package semaphore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// defaultWaiterTTL is the lease TTL, in seconds, of waiter keys.
const defaultWaiterTTL = 10

// writeTimeout bounds the wait for the outcome of a write once it has been
// sent, whatever the caller's context says.
const writeTimeout = 10 * time.Second

type options struct {
	now       func() time.Time
	waiterTTL int
	headWait  time.Duration // see defaultHeadWait
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
// waiter keys of blocked Acquire calls: a waiter whose process died leaves
// the queue after at most this long. Values below 1 select the default,
// 10 seconds; etcd raises values below its minimum TTL.
func WithWaiterTTL(seconds int) Option { return func(o *options) { o.waiterTTL = seconds } }

// Semaphore is a handle on the semaphore of one group. It is safe for
// concurrent use; its methods may be called from many goroutines, also
// with different holder ids. Close releases its waiter lease; it does not
// close the client.
type Semaphore struct {
	client *clientv3.Client
	key    string
	queue  string // prefix of the waiter keys
	last   string // the last-waiter key (see lastWaiterKey)
	opts   options

	seq  atomic.Uint64 // makes waiter keys unique within the lease
	done chan struct{} // closed by Close

	mu     sync.Mutex
	cached *snapshot    // last value seen; nil before the first request
	lease  *waiterLease // nil until a waiter needs one, or after it was lost
	closed bool
}

// New returns a handle on the semaphore of group, using client. It does
// not contact etcd; the key is created by the first write.
func New(client *clientv3.Client, group string, opts ...Option) *Semaphore {
	o := options{now: time.Now, waiterTTL: defaultWaiterTTL, headWait: defaultHeadWait}
	for _, opt := range opts {
		opt(&o)
	}
	if o.waiterTTL < 1 {
		o.waiterTTL = defaultWaiterTTL
	}
	key := Key(group)
	return &Semaphore{client: client, key: key, queue: waitersPrefix(key), last: lastWaiterKey(key), opts: o, done: make(chan struct{})}
}

// Key returns the etcd key of the semaphore, as Key(group).
func (s *Semaphore) Key() string { return s.key }

// Close revokes the waiter lease, if one was created, which removes the
// waiter keys of this Semaphore from the queue. Acquire calls that are
// waiting return ErrClosed, and later Acquire calls that would have to wait
// return ErrClosed at once. The slots held are not touched (they are never
// bound to a lease), and the other methods keep working while the client is
// open. Close returns the error of the revocation, if any; closing twice
// returns nil.
func (s *Semaphore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	l := s.lease
	s.lease = nil
	s.mu.Unlock()
	if l == nil {
		return nil
	}
	return l.revoke(s.client, s.opts.waiterTTL)
}

// wctx returns the context of a write: detached from ctx's cancellation so
// that the caller learns the outcome of a write once it has been sent, but
// bounded by writeTimeout.
func wctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
}
