// Package history is what locksmith remembers of reboots: the events of each node and operator
// ([Event]), and the reboot cycles they tell ([Cycles]), for locksmithctl history, why and the
// timeline. Package etcdlog keeps them in etcd.
package history
