// Package embedetcd runs a real etcd server inside the current process, on
// loopback, for tests and for the cluster simulator.
//
// It wraps go.etcd.io/etcd/server/v3/embed: a member listens on 127.0.0.1
// ports chosen by the kernel, keeps its data in a directory the caller owns,
// and logs only errors. Nothing here fakes etcd; every request crosses gRPC.
package embedetcd
