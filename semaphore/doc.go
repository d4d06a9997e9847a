// Package semaphore is the etcd v3 counting semaphore of locksmith: at most
// Max holders at once, shared by every node of a reboot group, kept in one
// etcd key so that a slot survives the reboot of its holder.
//
// # Keys and value
//
// The default group lives in the key
//
//	coreos.com/updateengine/rebootlock/semaphore
//
// and group G in
//
//	coreos.com/updateengine/rebootlock/groups/<url.QueryEscape(G)>/semaphore
//
// (see [Key]), exactly as the etcd v3 port of CoreOS/Flatcar locksmith. The
// value is the JSON object old locksmith reads and writes,
//
//	{"semaphore":1,"max":2,"holders":["a"],"details":{...}}
//
// "holders" is the sorted list of holder ids and "max" the number of slots.
// "semaphore" (the number of free slots) is written as max-len(holders) for
// old tools, which may be negative after Max was lowered below the number of
// holders (old locksmith does the same arithmetic); on read it is ignored
// and always derived. "details" is this package's addition, ignored by old
// tools: per-holder facts ([Holder]), the record of the last stale-slot
// removal ([Removal]), and the failure budget: the failed reboots counted ([Failure]) and, while
// the group is frozen, the max to restore and why ([Freeze]; see [Semaphore.Fail]). A value written by an old tool ("holders":null, no
// "details", a stale "semaphore") reads fine; facts of ids that are not in
// "holders" are dropped, and a holder without facts is valid. Other unknown
// top-level fields are not kept when the value is rewritten, as with old
// locksmith. A missing key reads as an empty semaphore with Max 1 and is
// created by the first write.
//
// Every write is one etcd transaction that compares the key's mod_revision
// with the one last seen (version 0 when the key is absent) and, in its
// else branch, reads the key back; a conflict therefore costs one more
// transaction and is retried inside the package, it is never an error for
// the caller. A [Semaphore] remembers the last value it saw, so an update on
// an uncontended key is a single round trip. A conflict on a value read
// during the same call is a lost race: a write that must go on (Release,
// SetMax, TryAcquire, RemoveStale, Repair) then waits a random delay below
// 2 ms, doubling with each lost race up to 100 ms, and reads again, so that
// writers that collided do not collide again at once.
//
// A [Semaphore.Release] that loses a race also leaves a release request,
// a key <Key()>/releases/<random> whose value is the holder id and the
// time its slot was taken, put in the else branch of the failed
// transaction. Every write of the value, by any Semaphore, gives back the
// slots of the pending requests it read, provided each holder still has
// the slot asked for (a request for a slot given back, removed or taken
// again since is dropped), and deletes them. While waiters are queued, a
// Release that left its request does not compete with the head of the
// queue for the key: the head follows the requests, and applies them in
// the write that admits waiters into the slots freed; the Release watches
// its request until it is gone (if the head does not apply it within a
// second, for instance because the head's process died, Release writes
// itself). Release returns once its slot is given back, by its own write
// or another's, and withdraws its request when it fails. (A request is
// not bound to a lease: one left by a process that died before it could
// withdraw it is applied by the next write, as it asked.) A burst of k
// simultaneous releases thus costs a few writes, not k rounds of k.
//
// # Waiting without polling
//
// [Semaphore.Acquire] takes a free slot at once when there are more free
// slots than queued waiters and its compare-and-swap wins.
// [Semaphore.TryAcquire] does the same, but retries a lost race and never
// queues. Otherwise Acquire enqueues: it grants a lease for this wait and,
// in one transaction, puts a waiter key <Key()>/waiters/<lease>?<facts>
// whose value is the holder id and whose name carries the holder's other
// facts (host name, boot id, reason) as a query string, bound to that
// lease; it also reads the semaphore, counts the queue and replaces the key
// <Key()>/last-waiter, which names the waiter key put last and is bound to
// the same lease, reading the waiter just ahead from its previous value.
// (That waiter may have left since, when someone else deleted its key: the
// newcomer checks once.) Newcomers never overtake the queue: the
// compare-and-swap of a newcomer also checks that no waiter key was created
// since it counted the queue.
//
// The queue is ordered by the etcd revision that created each waiter key.
// Waiting is a chain, as in etcd's concurrency.Mutex: the first waiter (the
// head) watches the semaphore key and the release requests; every other
// waiter watches only the deletion of the waiter ahead of it. As soon as
// slots are free, the head admits, in one compare-and-swap that also
// applies the pending release requests, itself and the waiters behind it in
// arrival order, as many as there are free slots (at most 60 at a time): it
// writes them into the value with the facts of their waiter keys and the
// time by its own clock, and deletes their waiter keys. The write requires
// every admitted waiter key to be still there and, when slots are left
// after the whole queue the head read, that no waiter came since (the
// last-waiter key has not changed). Each admitted waiter wakes when the
// waiter ahead of it leaves and reads once to find its key gone and its id
// among the holders; the first waiter left behind reads once to find that
// it now leads. A release among N waiters thus wakes one waiter and costs a
// constant number of requests (about 10 per acquire and release cycle, the
// wait's lease grant included; see BenchmarkContendedHandoff and
// BenchmarkContendedMax), not N, and k free slots cost one write and one
// read per admitted waiter, not k rounds of k. Watches start at the
// current revision (etcd serves a watch from a past revision only on its
// next 100 ms sync); when the store moved on between a read and the watch,
// one more read fills the gap.
//
// Each wait has its own lease, kept alive only while that wait goes on: the
// first keep-alive is sent about a third of the TTL after the grant (none
// for a shorter wait), then one every third of the TTL. When the wait ends,
// the keep-alive stops. If a committed write deleted the waiter key (the
// waiter was admitted, or left the queue), nothing is bound to the lease
// any more and it is left to expire, which costs no request; otherwise (for
// instance the delete failed) the lease is revoked, which deletes the key,
// and if that fails too the lease expires within its TTL, since nobody
// renews it. A key whose clean-up failed thus never strands the queue for
// longer than the TTL, even though the Semaphore lives on, and a Semaphore
// whose Acquire calls do not wait sends no keep-alive. A wait costs one
// lease grant, a keep-alive per third of the TTL spent waiting, and one
// revocation only when its clean-up did not happen as planned.
//
// A waiter is admitted while its key exists, that is while its lease is
// alive: a process that dies while queued may still be given a slot for up
// to the lease TTL (10 seconds by default, see [WithWaiterTTL]; Close
// revokes the leases of the waits in progress at once). Like a holder that
// never comes back, such a slot is recovered with [Semaphore.RemoveStale].
//
// A waiter keeps its place through the errors of etcd worth waiting out (a
// member that does not answer, no member reachable, no leader): it tries
// again within about a second, and its keep-alive goes on trying, since the
// lease outlives an outage (etcd's new leader renews every lease). Neither
// its watch nor its keep-alive trusts one member: a watch that etcd does
// not confirm in time is made again, and the waiter reads what it watches,
// every second near the head of the queue and less often further back,
// which finds the changes a watch on a frozen member misses (see the
// constants of timeouts.go). A waiter whose
// lease is lost (etcd said it is gone: it expired or was revoked) enqueues
// again, at the end of the queue, with a new lease. So does a waiter whose key someone else deleted, when it
// notices: as head when it tries to admit, otherwise when the waiter ahead
// of it leaves (the waiter behind it moves up at once). A dead waiter
// leaves the queue when its lease expires. A watch that is cancelled or
// reports a compaction is replaced after one read. The slot itself is never
// bound to a lease.
//
// # Cancellation
//
// Blocking calls take a context. When it ends while Acquire waits, the
// waiter key is deleted (if that fails, the wait's lease is revoked, or
// expires; see above) and Acquire returns an error wrapping ctx.Err(),
// unless the head admitted the waiter before its key could be deleted:
// Acquire then returns nil, the slot being held. Once a write has been
// sent, cancelling the context does not abandon it: the call waits for the
// outcome (at most a second, requestTimeout) so that an error always means
// the write did not happen, except when etcd itself does not answer in that
// time. A write whose outcome is unknown is a compare-and-swap: the call
// reads the value before it writes again, so TryAcquire, Acquire and
// Release never apply twice.
//
// # Stale slots and corrupt values
//
// A holder that never comes back keeps its slot until an operator removes
// it with [Semaphore.RemoveStale], which removes one holder per call and
// records who removed it and why in the value; it refuses an age that is
// not positive and an empty "who" ([ErrInvalidArgument]). A value that is
// not valid JSON or is inconsistent is reported as a [*CorruptError] naming
// the key and the problem; only [Semaphore.Repair] overwrites it.
package semaphore
