// Package e2e holds the end-to-end fault tests of locksmith: a fleet of
// real locksmithd processes, each on its own private D-Bus with stand-ins
// for update_engine and logind, rolls out a reboot through a three-member
// etcd cluster whose members are separate processes, while the test kills
// and freezes etcd members and kills daemons that hold a slot. An observer
// that reads etcd only (package internal/sim/monitor) checks that no more
// nodes than the semaphore's max are ever between taking and releasing a
// slot, and that nodes take their slots in the order they queued.
//
// The package has no API; its tests are skipped with -short because they
// take tens of seconds.
package e2e
