package semaphore

import (
	"net/url"

	"locksmith.dev/locksmith/semaphore/slot"
)

// DefaultGroup is the name of the default reboot group.
const DefaultGroup = slot.DefaultGroup

// KeyPrefix starts every key of every group: the semaphores, their queues and release requests,
// the history and the nodes' published states. An etcd role that grants read and write on this
// prefix is all that a node, a FleetLock server or an operator needs (see the README's etcd
// roles).
const KeyPrefix = "coreos.com/updateengine/rebootlock/"

const keyRoot = KeyPrefix

// Key returns the etcd key of the semaphore of group:
// "coreos.com/updateengine/rebootlock/semaphore" for DefaultGroup and
// "coreos.com/updateengine/rebootlock/groups/<url.QueryEscape(group)>/semaphore"
// otherwise.
func Key(group string) string {
	if group == DefaultGroup {
		return keyRoot + "semaphore"
	}
	return keyRoot + "groups/" + url.QueryEscape(group) + "/semaphore"
}

// waitersPrefix returns the prefix of the waiter keys of the semaphore in
// key. No semaphore key starts with it: group names are escaped, so a
// semaphore key has no further "/" after its group.
func waitersPrefix(key string) string { return key + "/waiters/" }
