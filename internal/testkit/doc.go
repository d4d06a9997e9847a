// Package testkit holds the real parts that tests, benchmarks and the fleet simulator run against:
// an in-process etcd, etcd member processes, private D-Bus buses with stand-ins, built binaries,
// TLS certificates, waitable logs and request counters. Nothing under it is linked into locksmithd
// or locksmithctl.
package testkit
