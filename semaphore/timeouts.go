package semaphore

import "time"

// The timeouts of the package, in one place (the README's "Timeouts" table lists them with the
// client's). They bound how long one etcd member that does not answer (frozen, or cut off
// behind an open TCP connection) can hold a call up: the client's balancer sends each request
// to the next member in turn, so a request sent again reaches another one.
const (
	// requestTimeout bounds the wait for the answer to one request. A read that gets no answer
	// in time is sent again; a write is a compare-and-swap, so the caller reads the outcome and
	// writes again if it must. Once a write has been sent, cancelling the caller's context does
	// not abandon it before this timeout.
	requestTimeout = time.Second
	// requestTries is how many times one read is sent while it fails in a way worth trying
	// again (see retryable) before the error goes to the caller.
	requestTries = 3
	// retryPause is the wait before a request that etcd refused (no member reachable, no
	// leader) is sent again. A request that timed out is sent again at once.
	retryPause = 250 * time.Millisecond
	// pollInterval is how often a waiter reads what it watches: a watch on a frozen member
	// delivers nothing and reports no error, so the read, which goes to the next member,
	// notices the change its watch missed.
	pollInterval = time.Second
	// maxFollowPoll bounds the interval of those reads for a waiter far back in the queue, which
	// reads less often the further back it is (see followPoll).
	maxFollowPoll = time.Minute
	// pollTimeout bounds the first try of such a read, and of every read (see commit): it takes
	// a few milliseconds from a member that answers, and a frozen member's share of the reads
	// costs no more than that.
	pollTimeout = 250 * time.Millisecond
	// confirmTimeout bounds the first wait for etcd to confirm a new watch; each wait after one
	// that timed out is twice as long, up to 4 s. Under etcd's authentication a new watch
	// stream first asks for a token, which costs the server a password hash. The waiter reads
	// every poll interval while it waits (see waiter.watch).
	confirmTimeout = time.Second
	// defaultHeadWait bounds how long a Release that left a release request waits for the head
	// of the queue to apply it before it writes itself.
	defaultHeadWait = time.Second
)

// defaultWaiterTTL is the TTL, in seconds, of the lease of each wait (see WithWaiterTTL): a
// waiter whose process died leaves the queue within it.
const defaultWaiterTTL = 10
