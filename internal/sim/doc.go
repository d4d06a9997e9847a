// Package sim simulates a fleet of locksmithd nodes rebooting on this
// machine, with the real daemon state machine (package daemon) and the real
// etcd semaphore, and reports how the rollout went: how long it took
// against the ideal, how many nodes were ever down at once, handoff
// latencies, etcd requests per reboot and FIFO violations. It is the
// library behind cmd/locksmith-sim.
//
// Each node runs one daemon.Machine per boot, with its own etcd client
// (counted with package reqcount), an update source that says "reboot
// needed" from the moment the run announces the update (to every node at
// once, after all of them have started and are idle) and never again after
// the reboot, and a rebooter that takes the node down: the machine's
// context ends, the node stays down for its drawn reboot time and then boots
// again with a new boot id, and the new machine releases the slot after its
// post-boot step. A node drawn to fail never comes back. An independent
// monitor (package monitor) watches the semaphores throughout.
//
// The daemons run on a simulated clock that runs Options.TimeFactor times
// faster than real time, so that back-offs, reboot windows and the lock TTL
// keep their real-life proportions to the (short) simulated reboots.
//
// In baseline mode the same fleet waits for a slot the way old locksmith
// does: it tries to take one and sleeps a back-off from 10 s doubling to
// 5 min (on the simulated clock) while the semaphore is full. Both modes run
// in turn in one simulation, with the same draws, in their own groups.
//
// The groups of a run are named <GroupPrefix>-<mode>-<n>. A run starts only
// if etcd has no key of its groups ([ErrGroupInUse] otherwise, with the
// etcdctl command that removes them), and deletes every key of its groups
// when it ends, also when it fails or is interrupted, so that a cluster
// given by Options.Endpoints is left as it was.
package sim
