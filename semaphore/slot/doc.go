// Package slot is the semaphore's data without etcd: holders, a read of the semaphore, the default
// group and the sentinel errors. Package semaphore stores it in etcd; code that only reasons about
// slots (the daemon's state machine) imports this package and links no etcd client.
package slot

// DefaultGroup is the name of the default reboot group.
const DefaultGroup = ""
