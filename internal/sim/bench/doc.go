// Package bench is locksmith's benchmark, run by "make bench" (through
// "locksmith-sim bench"): it prints, for the machine it runs on, what a
// fleet costs and how fast it rolls out, and how much memory one
// locksmithd process takes.
//
// Fleet figures come from package sim, for each fleet size (10, 100 and
// 1000 nodes by default) with the same max per group and reboot time, each
// run on a fresh embedded etcd: makespan against the ideal, handoff latency
// p50/p99, etcd requests per reboot (in total and without the lease
// keep-alives of waiting nodes, which grow with the time spent waiting),
// FIFO violations, and the same fleet waiting like old locksmith
// (baseline) with the ratios of the two.
//
// Memory is the resident set size (VmRSS of /proc/<pid>/status) of the
// real locksmithd binary, started against an embedded etcd with strategy
// etcd-lock, update_engine disabled and a sentinel file as the update
// source: "idle" once it logs that it waits for a reboot to be needed (the
// sentinel is absent), "waiting" once it is queued for a slot (the sentinel
// is present and the semaphore is full), each read settleTime after that.
package bench
