package ctl

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"locksmith.dev/locksmith/internal/buildinfo"
	"locksmith.dev/locksmith/internal/envflag"
	"locksmith.dev/locksmith/internal/hostid"
)

// CLI is what one run of locksmithctl takes from its host; the
// package-level [Run] uses the real host's. Every field but Stdout and
// Stderr may be left zero to use the real host's default (but LookupEnv,
// whose zero value is an empty environment); tests set them. A CLI is not
// modified by Run and may run several times, also concurrently.
type CLI struct {
	// Stdout receives the commands' output, Stderr warnings and notes (the
	// returned error is for the caller to print).
	Stdout, Stderr io.Writer
	// LookupEnv reads the process environment (os.LookupEnv in main); nil
	// is an empty environment.
	LookupEnv envflag.LookupFunc
	// EnvNames lists the variables set in the process environment, for the warning about
	// LOCKSMITHCTL_ ones that name no option; nil warns of none.
	EnvNames []string
	// UpdateConfFiles are read for the LOCKSMITHD_* settings shared with
	// locksmithd, a later file winning over an earlier one; nil means
	// [DefaultUpdateConfFiles].
	UpdateConfFiles []string
	// MachineIDPath is the file with this machine's id, the default holder
	// id; empty means hostid.DefaultMachineIDPath.
	MachineIDPath string
	// BootIDPath is the file with the current boot id, recorded by reboot;
	// empty means hostid.DefaultBootIDPath.
	BootIDPath string
	// Hostname returns this machine's host name, recorded with the slots it
	// takes; nil means os.Hostname.
	Hostname func() (string, error)
	// Now is the clock used to record when a slot was taken and to show
	// how long it has been held; nil means time.Now.
	Now func() time.Time
	// Version is printed by --version; empty means the main module's
	// version from the build information.
	Version string
}

// DefaultUpdateConfFiles returns the files locksmithd's unit
// (systemd-units/locksmithd.service) reads its settings from, in the order
// of its EnvironmentFile= lines: the OS defaults first, and a setting in a
// later file wins, as it does for systemd. A test keeps both lists equal.
func DefaultUpdateConfFiles() []string {
	return []string{
		"/usr/share/flatcar/update.conf",
		"/usr/share/coreos/update.conf",
		"/etc/flatcar/update.conf",
		"/etc/coreos/update.conf",
	}
}

// Run runs locksmithctl on this host with args (without the program
// name), writing the commands' output to stdout and warnings and notes to
// stderr: it reads the process environment, the host's update.conf files
// ([DefaultUpdateConfFiles]), /etc/machine-id, the boot id, the host name
// and the real clock. It returns what [CLI.Run] returns; [ExitCode] maps
// the error to the exit status, and the caller prints it.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	env := envflag.OS()
	cli := &CLI{Stdout: stdout, Stderr: stderr, LookupEnv: env.Lookup, EnvNames: env.Names}
	return cli.Run(ctx, args)
}

// Run runs locksmithctl with args (without the program name). It returns
// nil if the command succeeded, an error wrapping [ErrUsage] if the command
// line or configuration is invalid, and any other error if the command
// failed; [ExitCode] maps the error to the exit status. Errors are one line
// without the program name. ctx cancels whatever the command waits for.
func (c *CLI) Run(ctx context.Context, args []string) error {
	r := &run{cli: c}
	root := r.commands()
	root.SetArgs(envflag.NormalizeArgs(allFlags(root), append([]string{}, args...)))
	_, err := root.ExecuteContextC(ctx)
	return err
}

// Command returns locksmithctl's command tree, for documentation (the manual pages): its
// commands and options, as --help shows them.
func Command() *cobra.Command { return (&run{cli: &CLI{}}).commands() }

func (c *CLI) machineID() (string, error) {
	return hostid.ReadMachineID(orDefault(c.MachineIDPath, hostid.DefaultMachineIDPath))
}

func (c *CLI) bootID() (string, error) {
	return hostid.ReadBootID(orDefault(c.BootIDPath, hostid.DefaultBootIDPath))
}

// hostname returns this machine's host name, or "" if it is unknown: the
// name only helps people read the status.
func (c *CLI) hostname() string {
	f := c.Hostname
	if f == nil {
		f = os.Hostname
	}
	name, err := f()
	if err != nil {
		return ""
	}
	return name
}

func (c *CLI) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *CLI) version() string { return buildinfo.Version(c.Version) }

func (c *CLI) lookupEnv(name string) (string, bool) {
	if c.LookupEnv == nil {
		return "", false
	}
	return c.LookupEnv(name)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
