// Package daemon is the state machine of locksmithd, the reboot
// coordinator that runs on every node.
//
// A [Machine] follows the life cycle of the design brief:
//
//  1. After boot it looks for a slot this machine holds in the semaphore.
//     A slot recorded with the current boot id was taken in this boot for a
//     reboot that has not happened yet: with strategy etcd-lock the machine
//     carries on to that reboot (other strategies release it). A slot
//     recorded with another boot id (or none) means the node has rebooted:
//     the post-reboot checks run, retried with back-off until
//     [Config.PostRebootTimeout], and then the slot is released. If the
//     checks never pass, the slot is kept, so that the rollout halts on a
//     bad update, and the machine says so: as long as it keeps that slot,
//     every status begins with the failure (its first line) and is
//     logged as an error. This happens whatever the strategy. While idle,
//     the machine watches that slot: once an operator frees it
//     (locksmithctl unlock), it holds none and the failure is no longer
//     reported. Reading and releasing retry with
//     back-off while etcd does not answer: with strategy etcd-lock until
//     they succeed; with strategy off for up to [OffRetryTimeout], after
//     which the machine gives up with an error naming locksmithctl unlock;
//     with strategy reboot the machine goes on after one try and retries
//     in the background (checks included) until the slot is released, it
//     turns out to hold none, or Run's context ends.
//  2. Strategy off ends here: Run returns nil.
//  3. It waits until the [UpdateSource] says a reboot is needed.
//  4. It waits for the reboot window, holding no slot.
//  5. With strategy etcd-lock it takes a slot ([Lock.Acquire] blocks on a
//     watch; with [Config.LockTTL] it also removes, one at a time, a holder
//     older than the TTL while the semaphore is full). It then checks again
//     that the window is open and a reboot still needed, and releases the
//     slot and goes back to 3 if not.
//  6. It runs the pre-reboot command, waits [Config.LoginDelay] once if
//     people are logged in, checks window and update status once more,
//     confirms with the [Lock] that the slot is still its own (same id and
//     boot id) and asks the [Rebooter] to reboot. A slot removed meanwhile
//     (locksmithctl unlock, a peer's lock TTL) means no reboot: the machine
//     logs who holds the slots and goes back to 4 ([ErrSlotLost]); only a
//     removal in the instant between that read and the reboot request goes
//     unnoticed. If the host is still up after [Config.RebootTimeout], it
//     releases the slot and reports the failure.
//
// Any failure on the way (a command, the reboot call, etcd, D-Bus) releases
// the slot taken for this reboot and retries from 3 after a back-off. When
// Run's context ends, the machine stops cleanly: a slot taken for a reboot
// that was not requested yet is released (with a fresh, bounded context),
// a reboot already requested keeps its slot.
//
// Every collaborator is a small interface defined here, so that the
// machine can run against the real system (package service wires etcd,
// D-Bus and files) or in-process stand-ins (tests and the fleet simulator),
// with a [clock.Clock] that tests control. Progress is visible through
// [Config.OnEvent], the [Notifier] (sd_notify STATUS=), the [Coordinator]
// (coordinator.conf STATE=) and the logger.
package daemon
