package ctl

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// run is one invocation of locksmithctl: the CLI it runs for, the global
// options once parsed, and the update.conf settings once read.
type run struct {
	cli        *CLI
	opts       options
	root       *cobra.Command
	updateConf map[string]string // nil until first needed
	// client is the etcd client of the semaphore that withSemaphore connected to, while f runs.
	client *clientv3.Client
}

// commands builds the command tree of one run.
func (r *run) commands() *cobra.Command {
	root := &cobra.Command{
		Use:   "locksmithctl",
		Short: "Manage the cluster-wide reboot lock of locksmith",
		Long: `locksmithctl shows and steers the reboot semaphore that locksmithd uses to
let at most "max" machines of a group reboot at once.

Every global option may also be set as LOCKSMITHCTL_<OPTION> in the
environment (an empty variable counts as unset). Options not set either way fall back to locksmithd's
LOCKSMITHD_<OPTION> settings in update.conf (endpoint, group, TLS files and
credentials), so that both talk to the same semaphore. Settings that belong
together come from one place: if any of --etcd-username, --etcd-password and
--etcd-password-file is given as an option or LOCKSMITHCTL_ variable, none
of the three is read from update.conf; the same holds for --etcd-certfile and
--etcd-keyfile.

Exit status: 0 on success, 1 when the command failed, 2 on a usage error.`,
		Version:           r.cli.version(),
		Args:              cobra.ArbitraryArgs,
		RunE:              r.noCommand,
		SilenceErrors:     true,
		SilenceUsage:      true,
		ValidArgsFunction: cobra.NoFileCompletions,

		SuggestionsMinimumDistance: 2,
	}
	r.root = root
	root.SetOut(r.cli.Stdout)
	root.SetErr(r.cli.Stderr)
	root.SetVersionTemplate("locksmithctl version {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	root.Flags().Bool("version", false, "print the version and exit")
	r.opts.register(root.PersistentFlags())
	_ = root.RegisterFlagCompletionFunc("group", r.completeGroups) // cannot fail: the flag exists
	environment().Document(root.PersistentFlags())
	root.SetHelpCommand(r.helpCommand())
	root.AddCommand(
		r.statusCommand(),
		r.lockCommand(),
		r.unlockCommand(),
		r.setMaxCommand(),
		r.resumeCommand(),
		r.removeStaleCommand(),
		r.repairCommand(),
		r.rebootCommand(),
		r.sendNeedRebootCommand(),
		r.groupsCommand(),
		r.historyCommand(),
		r.whyCommand(),
		r.versionCommand(),
	)
	r.completionCommand()
	return root
}

// completionCommand adds cobra's completion command (one subcommand per
// shell) and makes it reject a missing or unknown shell, where cobra would
// print its help and succeed.
func (r *run) completionCommand() {
	r.root.InitDefaultCompletionCmd()
	comp, _, err := r.root.Find([]string{"completion"})
	if err != nil || comp == r.root {
		return
	}
	comp.Use = "completion SHELL"
	comp.Args = cobra.ArbitraryArgs
	comp.RunE = func(_ *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usagef("completion: missing shell (usage: locksmithctl completion bash|fish|powershell|zsh)")
		}
		return usagef("completion: unknown shell %q (usage: locksmithctl completion bash|fish|powershell|zsh)", args[0])
	}
}

// action returns a cobra RunE that completes the global options from the
// environment and update.conf, then runs f. Commands that do not use the
// global options (help, completion) do without it, so that a bad
// environment value never hides the help.
func (r *run) action(f func(ctx context.Context, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := r.applyEnvironment(); err != nil {
			return err
		}
		return f(cmd.Context(), args)
	}
}

// noCommand runs when no known command was given.
func (r *run) noCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(r.cli.Stderr, cmd.UsageString())
		return usagef("no command given (see 'locksmithctl help')")
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(", did you mean %q?", s[0])
	}
	return usagef("%s (see 'locksmithctl help')", msg)
}

// helpCommand replaces cobra's help command, which exits the process on an
// unknown topic.
func (r *run) helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "Show help for locksmithctl or one of its commands",
		Args:  maxArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var names []cobra.Completion
			for _, c := range r.root.Commands() {
				if len(args) == 0 && c.IsAvailableCommand() && strings.HasPrefix(c.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(c.Name(), c.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			sub := r.root
			if len(args) > 0 {
				var rest []string
				var err error
				sub, rest, err = r.root.Find(args)
				if err != nil || sub == r.root || len(rest) > 0 {
					return usagef("help: unknown command %q (see 'locksmithctl help')", args[0])
				}
			}
			sub.InitDefaultHelpFlag() // show --help as "sub --help" does
			return sub.Help()
		},
	}
}

// flagError turns a flag parsing error into a usage error naming the
// command.
func flagError(cmd *cobra.Command, err error) error {
	if msg := err.Error(); strings.Contains(msg, "shorthand flag: 'w'") || strings.Contains(msg, "flag: --write-out") {
		err = fmt.Errorf("%w; -w/--write-out is etcdctl's: locksmithctl prints JSON with --json", err)
	}
	if !cmd.HasParent() {
		return usagef("%w (see 'locksmithctl help')", err)
	}
	return usagef("%s: %w (see 'locksmithctl help %s')", cmd.Name(), err, cmd.Name())
}

// maxArgs accepts at most n arguments.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usagef("%s: unexpected argument %q (usage: %s)", cmd.Name(), args[n], usageLine(cmd))
		}
		return nil
	}
}

// exactArgs accepts exactly n arguments.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("%s: missing argument (usage: %s)", cmd.Name(), usageLine(cmd))
		}
		return maxArgs(n)(cmd, args)
	}
}

func usageLine(cmd *cobra.Command) string {
	return "locksmithctl " + cmd.Use
}

// allFlags returns a flag set with every long flag of the tree under
// root, for envflag.NormalizeArgs to recognise legacy single-dash
// spellings.
func allFlags(root *cobra.Command) *pflag.FlagSet {
	fs := pflag.NewFlagSet("all", pflag.ContinueOnError)
	fs.AddFlagSet(root.PersistentFlags())
	fs.AddFlagSet(root.Flags())
	for _, c := range root.Commands() {
		fs.AddFlagSet(c.Flags())
	}
	fs.Bool("help", false, "")
	return fs
}
