// Package service runs locksmithd on a real host: it reads the
// configuration (package config), builds the collaborators of the state
// machine from etcd, D-Bus (update_engine and logind), sentinel files,
// sd_notify and coordinator.conf, and runs a daemon.Machine until its
// context ends. cmd/locksmithd is a thin main around [Main] and
// [ExitCode].
package service
