package ctl

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/semaphore"
)

func (r *run) lockCommand() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "lock [ID]",
		Short: "Take a reboot slot for this machine or the given machine id",
		Long: `Lock takes a reboot slot for this machine (its /etc/machine-id) or for the
given machine id, without waiting: it fails when no slot is free. Locking an
id that already holds a slot succeeds and changes nothing. Under normal
operation locksmithd takes and gives back the slots itself.`,
		Args:              maxArgs(1),
		ValidArgsFunction: r.completeHolders,
		RunE: r.action(func(ctx context.Context, args []string) error {
			return r.lock(ctx, args, reason)
		}),
	}
	cmd.Flags().StringVar(&reason, "reason", "locksmithctl lock", "why the slot is taken, shown by status")
	return cmd
}

func (r *run) lock(ctx context.Context, args []string, reason string) error {
	id, self, err := r.holderID(args)
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	h := semaphore.Holder{ID: id, Reason: reason}
	if self {
		h.Hostname = r.cli.hostname()
	}
	return r.withSemaphore(ctx, func(ctx context.Context, sem *semaphore.Semaphore) error {
		switch err := sem.TryAcquire(ctx, h); {
		case err == nil:
			r.recordOperator(ctx, history.Event{Kind: history.Lock, Node: id, Holder: id})
			return nil
		case errors.Is(err, semaphore.ErrFull):
			return explain(err, "lock %s: no free reboot slot in %s (see 'locksmithctl status')", id, r.groupName())
		case errors.Is(err, semaphore.ErrInvalidID):
			return usageError{fmt.Errorf("lock: %w", err)}
		default:
			return fmt.Errorf("lock %s in %s: %w", id, r.groupName(), corruptHint(r.etcdError(ctx, err)))
		}
	})
}

func (r *run) unlockCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unlock [ID]",
		Short: "Give back the reboot slot of this machine or the given machine id",
		Long: `Unlock gives back the reboot slot held by this machine (its /etc/machine-id)
or by the given machine id. It fails when that id holds no slot. Under normal
operation locksmithd gives the slot back itself once the machine is up again;
see remove-stale for the slots of machines that never came back.`,
		Args:              maxArgs(1),
		ValidArgsFunction: r.completeHolders,
		RunE:              r.action(r.unlock),
	}
}

func (r *run) unlock(ctx context.Context, args []string) error {
	id, self, err := r.holderID(args)
	if err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return r.withSemaphore(ctx, func(ctx context.Context, sem *semaphore.Semaphore) error {
		switch err := sem.Release(ctx, id); {
		case err == nil:
			r.recordOperator(ctx, history.Event{Kind: history.Unlock, Node: id, Holder: id})
			return nil
		case errors.Is(err, semaphore.ErrNotHolder):
			who := "that machine"
			if self {
				who = "this machine"
			}
			return explain(err, "unlock %s: %s holds no reboot slot in %s", id, who, r.groupName())
		case errors.Is(err, semaphore.ErrInvalidID):
			return usageError{fmt.Errorf("unlock: %w", err)}
		default:
			return fmt.Errorf("unlock %s in %s: %w", id, r.groupName(), corruptHint(r.etcdError(ctx, err)))
		}
	})
}

// holderID returns the id given in args, or else this machine's id, and
// whether the id is this machine's.
func (r *run) holderID(args []string) (id string, self bool, err error) {
	mine, err := r.cli.machineID()
	if len(args) > 0 {
		return args[0], err == nil && args[0] == mine, nil
	}
	if err != nil {
		return "", false, err
	}
	return mine, true, nil
}

// completeHolders completes the ids of the current holders, described by their host names,
// then those of the waiters, in queue order. It stays silent when etcd cannot be asked.
func (r *run) completeHolders(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 || r.applyEnvironment() != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var ids []cobra.Completion
	_ = r.withSemaphore(cmd.Context(), func(ctx context.Context, sem *semaphore.Semaphore) error {
		st, err := sem.Get(ctx)
		for _, h := range st.Holders {
			ids = append(ids, cobra.CompletionWithDesc(h.ID, orDash(h.Hostname)))
		}
		waiters, _ := sem.Waiters(ctx)
		for _, id := range waiters {
			if _, held := st.Holder(id); !held && !slices.Contains(ids, cobra.CompletionWithDesc(id, "waiting")) {
				ids = append(ids, cobra.CompletionWithDesc(id, "waiting"))
			}
		}
		return err
	})
	return ids, cobra.ShellCompDirectiveNoFileComp
}

// completeGroups completes --group with the groups that exist in etcd. It stays silent when
// etcd cannot be asked.
func (r *run) completeGroups(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if r.applyEnvironment() != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	client, err := r.connect(cmd.Context())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer client.Close()
	ctx, cancel := r.withTimeout(cmd.Context())
	defer cancel()
	groups, _ := semaphore.Groups(ctx, client)
	var out []cobra.Completion
	for _, g := range groups {
		if g != semaphore.DefaultGroup {
			out = append(out, g)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
