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
// tools: per-holder facts ([Holder]) and the record of the last stale-slot
// removal ([Removal]). A value written by an old tool ("holders":null, no
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
// an uncontended key is a single round trip.
//
// # Waiting without polling
//
// [Semaphore.Acquire] takes a free slot at once when no waiter is queued for
// it. Otherwise it enqueues: it puts a waiter key
// <Key()>/waiters/<lease>-<n> whose value is the holder id, bound to the
// Semaphore's waiter lease (kept alive while the process lives), and in the
// same transaction reads the semaphore and the waiter just ahead. The queue
// is ordered by the etcd revision that created each waiter key. Waiting is
// a chain, as in etcd's concurrency.Mutex: the first waiter (the head)
// watches the semaphore key and sends a compare-and-swap as soon as a slot
// is free, which also deletes its waiter key; every other waiter watches
// only the deletion of the waiter ahead of it, and then reads once to find
// its new place. A release among N waiters thus wakes one waiter and costs
// a constant number of requests (about 8 per acquire and release cycle,
// see BenchmarkContendedHandoff), not N. Only the head takes a slot, so
// when several slots free up at once they are filled one after another.
// Newcomers never overtake the queue: [Semaphore.TryAcquire] and the first
// attempt of Acquire take a slot only if there are more free slots than
// queued waiters, and the transaction checks that no waiter arrived since
// the read. Watches start at the current revision (etcd serves a watch from
// a past revision only on its next 100 ms sync); when the store moved on
// between a read and the watch, one more read fills the gap.
//
// A waiter whose lease is lost (etcd was unreachable for the lease TTL, or
// the lease was revoked) enqueues again, at the end of the queue, with a
// fresh lease. So does a waiter whose key someone else deleted, when it
// notices: as head when it tries to take a slot, otherwise when the waiter
// ahead of it leaves (the waiter behind it moves up at once). A dead waiter
// leaves the queue when its lease expires. A watch that is cancelled or
// reports a compaction is replaced after one read. The slot itself is never
// bound to a lease.
//
// # Cancellation
//
// Blocking calls take a context. When it ends while Acquire waits, the
// waiter key is deleted (the lease removes it anyway if that fails) and
// Acquire returns an error wrapping ctx.Err(). Once a write has been sent,
// cancelling the context does not abandon it: the call waits for the
// outcome (at most 10 seconds) so that an error always means the write did
// not happen, except when etcd itself does not answer in that time.
//
// # Stale slots and corrupt values
//
// A holder that never comes back keeps its slot until an operator removes
// it with [Semaphore.RemoveStale], which removes one holder per call and
// records who removed it and why in the value. A value that is not valid
// JSON or is inconsistent is reported as a [*CorruptError] naming the key
// and the problem; only [Semaphore.Repair] overwrites it.
package semaphore
