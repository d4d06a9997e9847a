// Package slot is the semaphore's data without etcd: holders, a read of the semaphore, the default
// group and the sentinel errors. Package semaphore stores it in etcd; code that only reasons about
// slots (the daemon's state machine) imports this package and links no etcd client.
package slot

import "strconv"

// DefaultGroup is the name of the default reboot group.
const DefaultGroup = ""

// GroupName names a group in messages: "the default group", or `group "workers"`. locksmithd,
// locksmithctl and the FleetLock server word it the same.
func GroupName(group string) string {
	if group == DefaultGroup {
		return "the default group"
	}
	return "group " + strconv.Quote(group)
}
