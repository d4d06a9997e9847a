// Package monitor watches the reboot semaphores of a fleet in etcd, as an
// independent observer, and records what happened to them: every acquire
// and release with its time, the most holders each group ever had at once,
// every revision at which a group had more holders than its max, the
// handoff latency from a release to the next waiter holding, and FIFO
// violations.
//
// It reads etcd only: the semaphore value (the JSON object
// {"max": m, "holders": [ids]} of the locksmith data model) and the waiter
// keys "<semaphore key>/waiters/<anything>" whose value is the waiting
// holder id, ordered by their create revision. It does not use the
// semaphore package's decoder nor the daemon, so that a bug there cannot
// hide from it; any clientv3 client will do (the cluster simulator and the
// end-to-end tests both use it).
//
// # Over all revisions
//
// [Start] loads the state of the keys as of the revision before the
// requested start revision and then watches every revision from there, so
// that no intermediate state is missed even if the watcher lags. If etcd
// has compacted revisions the monitor has not seen yet, they cannot be
// observed any more: the monitor re-reads the current state, derives the
// acquires and releases from the difference, records the skipped revisions
// as a [Gap] and carries on. A result without gaps is complete.
//
// # Definitions
//
//   - Concurrent holders of a group: the number of ids in "holders" at a
//     revision. [Exceeded] is recorded for every revision at which it is
//     greater than that revision's "max".
//   - Waiting: a holder id is waiting while a waiter key with that id
//     exists and the id is not a holder; and, for clients that leave no
//     waiter keys (old locksmith's polling), between [Monitor.MarkWaiting]
//     and its acquire or [Monitor.UnmarkWaiting]. Waiters are ordered by
//     the create revision of their key, marked waiters by the order of the
//     marks.
//   - FIFO violation: an acquire by a holder id after which fewer slots are
//     free than there are waiters who enqueued before it and still wait;
//     that is, the acquire took a slot an earlier waiter was owed. A
//     newcomer (no waiter key) counts as enqueued last. When max > 1,
//     waiters admitted together may take their slots in any order without
//     violation.
//   - Handoff latency: for a release observed while at least one id was
//     waiting in the group, the time from that release to the next acquire
//     in the group (releases are paired with acquires in order; a pending
//     release is dropped when the waiters it was meant for leave without
//     acquiring). Times are those at which the monitor received the events.
//   - Idle slot: a span during which a group had fewer holders than its max
//     while an id was waiting, from the change that began it to the one that
//     ended it; the longest that ended is kept (the liveness bound of the
//     fault tests).
package monitor
