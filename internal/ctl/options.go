package ctl

import (
	"math"
	"time"

	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/etcdclient"
)

// defaultDBusAddress is the system bus of a Linux host.
const defaultDBusAddress = "unix:path=/var/run/dbus/system_bus_socket"

// defaultTimeout bounds each etcd or D-Bus operation, and the wait for a
// free slot, when --timeout is not given.
const defaultTimeout = 30 * time.Second

// options are the global options of every command.
type options struct {
	etcd        etcdclient.Config // without DialTimeout, which is timeout
	group       string
	timeout     time.Duration
	json        bool
	dbusAddress string
	debug       bool
}

// register defines the global options on fs.
func (o *options) register(fs *pflag.FlagSet) {
	o.etcd.RegisterFlags(fs)
	fs.StringVar(&o.group, "group", "", "reboot group (default: the default group)")
	fs.DurationVar(&o.timeout, "timeout", defaultTimeout, "time limit of connecting, of each etcd or D-Bus request and of the wait for a free slot; 0 means none (connecting to etcd still gives up after 5s)")
	fs.BoolVar(&o.json, "json", false, "print JSON instead of text (status, set-max, repair, remove-stale)")
	fs.StringVar(&o.dbusAddress, "dbus-address", defaultDBusAddress, "D-Bus system bus address (reboot, send-need-reboot)")
	fs.BoolVar(&o.debug, "debug", false, "print every option's value and where it came from on stderr (old locksmithctl's -debug)")
}

// etcdConfig returns the etcd connection settings of o.
func (o *options) etcdConfig() etcdclient.Config {
	cfg := o.etcd
	cfg.DialTimeout = o.timeout
	if o.timeout <= 0 {
		cfg.DialTimeout = noLimit // --timeout 0 is no limit for the connection too, not its 5 s default
	}
	return cfg
}

// noLimit is a duration no command waits out.
const noLimit = time.Duration(math.MaxInt64)

// daemonPrefix is the prefix of locksmithd's variables in update.conf.
const daemonPrefix = "LOCKSMITHD"

// environment maps the global options to variables: LOCKSMITHCTL_<OPTION>
// first; then, for the settings shared with locksmithd, LOCKSMITHD_<OPTION>
// (which run.daemonSetting reads from update.conf only); and the standard
// DBUS_SYSTEM_BUS_ADDRESS for --dbus-address.
func environment() envflag.Env {
	aliases := map[string][]string{"dbus-address": {"DBUS_SYSTEM_BUS_ADDRESS"}}
	for _, flag := range []string{"endpoint", "group", "etcd-cafile", "etcd-certfile", "etcd-keyfile", "etcd-username", "etcd-password", "etcd-password-file"} {
		aliases[flag] = []string{daemonVariable(flag)}
	}
	return envflag.Env{Prefix: "LOCKSMITHCTL", Aliases: aliases}
}

// daemonVariable returns locksmithd's variable of a setting, e.g.
// LOCKSMITHD_ETCD_CAFILE for etcd-cafile.
func daemonVariable(flag string) string {
	return envflag.Env{Prefix: daemonPrefix}.Name(flag)
}
