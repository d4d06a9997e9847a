package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"locksmith.dev/locksmith/nodestate"
	"locksmith.dev/locksmith/semaphore"
)

func (r *run) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the reboot slots of the group, who holds them and who waits",
		Long: `Status prints the number of free slots ("Available") and of slots ("Max"),
then the machines holding a slot, with their host name and how long they have
held it, and the machines waiting for one, in the order they will get it, with
their place, since when they wait and what they do now (as each locksmithd
publishes it; see 'locksmithctl why'). With --json it prints all of this as one
JSON object.`,
		Args:              maxArgs(0),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              r.action(r.status),
	}
}

func (r *run) status(ctx context.Context, _ []string) error {
	return r.withSemaphore(ctx, func(ctx context.Context, sem *semaphore.Semaphore) error {
		st, err := sem.Get(ctx)
		if err == nil {
			var waiters []string
			if waiters, err = sem.Waiters(ctx); err == nil {
				return r.printStatus(sem.Key(), st, waiters, r.published(ctx, waiters))
			}
		}
		return fmt.Errorf("status of %s: %w", r.groupName(), corruptHint(r.etcdError(ctx, err)))
	})
}

// published returns what the waiters published of themselves (see package nodestate), by id. A
// failure to read it is a warning: the status shows the queue without it.
func (r *run) published(ctx context.Context, waiters []string) map[string]nodestate.State {
	if len(waiters) == 0 || r.client == nil {
		return nil
	}
	all, bad, err := nodestate.List(ctx, r.client, r.opts.group)
	if err != nil {
		r.warnf("cannot read what the waiters published: %v", err)
		return nil
	}
	for _, e := range bad {
		r.warnf("skipped: %v", e)
	}
	out := make(map[string]nodestate.State, len(all))
	for _, st := range all {
		out[st.Node] = st
	}
	return out
}

// printStatus prints a state as text or JSON, with what the waiters published.
func (r *run) printStatus(key string, st semaphore.State, waiters []string, pub map[string]nodestate.State) error {
	if r.opts.json {
		return writeJSON(r.cli.Stdout, newStatusJSON(r.opts.group, key, st, waiters, pub))
	}
	w := r.cli.Stdout
	fmt.Fprintln(w, "Available:", st.Free())
	fmt.Fprintln(w, "Max:", st.Max)
	switch {
	case st.Freeze != nil:
		fmt.Fprintf(w, "FROZEN since %s (%s ago): %s; no machine gets a slot until locksmithctl resume restores max %d\n",
			st.Freeze.At.UTC().Format(time.RFC3339), r.cli.now().Sub(st.Freeze.At).Round(time.Second), st.Freeze.Reason, st.Freeze.PreviousMax)
	case st.Max == 0:
		fmt.Fprintln(w, "Paused: max is 0; no machine gets a slot until set-max raises it")
	}
	if len(st.Failures) > 0 && st.Freeze == nil {
		fmt.Fprintf(w, "Failed reboots counted: %d (%s)\n", len(st.Failures), failedIDs(st.Failures))
	}
	if over := len(st.Holders) - st.Max; over > 0 {
		fmt.Fprintf(w, "Over max by %d: %d holders for %d slots (max was lowered); nobody is admitted until enough give theirs back\n", over, len(st.Holders), st.Max)
	}
	if st.Revision == 0 {
		fmt.Fprintf(r.cli.Stderr, "locksmithctl: note: %s has no semaphore in etcd yet (%s): it reads as max 1 and is made by the first lock or set-max; check --group if you expected one\n", r.groupName(), key)
	}
	if len(st.Holders) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "MACHINE ID\tHOSTNAME\tHELD FOR\tREASON")
		for _, h := range st.Holders {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.ID, orDash(h.Hostname), r.heldFor(h), orDash(h.Reason))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(waiters) > 0 {
		fmt.Fprintln(w, "\nWAITING (in order)")
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "POS\tMACHINE ID\tHOSTNAME\tWAITING FOR\tSTATE")
		for i, id := range waiters {
			p, ok := pub[id]
			age, state := "-", "-"
			if ok {
				state = p.State
				if p.State == "waiting-for-slot" {
					age = r.cli.now().Sub(p.Since).Round(time.Second).String()
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", i+1, id, orDash(p.Hostname), age, state)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if rm := st.LastRemoval; rm != nil {
		fmt.Fprintln(w, "\nLAST STALE REMOVAL")
		fmt.Fprintf(w, "%s (%s) removed by %s at %s (%s ago): %s\n", rm.Holder.ID, orDash(rm.Holder.Hostname), rm.By,
			rm.At.UTC().Format(time.RFC3339), r.cli.now().Sub(rm.At).Round(time.Second), orDash(rm.Reason))
	}
	return nil
}

// heldFor says how long h has held its slot, to the second.
func (r *run) heldFor(h semaphore.Holder) string {
	if h.AcquiredAt.IsZero() {
		return "-"
	}
	return r.cli.now().Sub(h.AcquiredAt).Round(time.Second).String()
}

func orDash(s string) string { return orDefault(s, "-") }

// statusJSON is the JSON form of status, a stable format of its own.
type statusJSON struct {
	Group     string       `json:"group"`
	Key       string       `json:"key"`
	Available int          `json:"available"`
	Max       int          `json:"max"`
	Holders   []holderJSON `json:"holders"`
	Waiters   []string     `json:"waiters"`
	// Waiting is the queue with what each waiter published: its place, state and since when.
	Waiting  []waiterJSON `json:"waiting"`
	Revision int64        `json:"revision"`
	// Exists is false while the group has no key in etcd yet.
	Exists bool `json:"exists"`
	// LastRemoval is the last stale-slot removal recorded in the value.
	LastRemoval *removalJSON `json:"last_removal,omitempty"`
	// Frozen is set while the failure budget has frozen the group.
	Frozen *frozenJSON `json:"frozen,omitempty"`
	// Failures are the failed reboots counted against the budget.
	Failures []failureJSON `json:"failures,omitempty"`
}

type frozenJSON struct {
	PreviousMax int       `json:"previous_max"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
}

type failureJSON struct {
	ID     string    `json:"id"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

type waiterJSON struct {
	Position int        `json:"position"`
	ID       string     `json:"id"`
	Hostname string     `json:"hostname,omitempty"`
	State    string     `json:"state,omitempty"`
	Since    *time.Time `json:"since,omitempty"`
}

type removalJSON struct {
	Holder holderJSON `json:"holder"`
	By     string     `json:"by"`
	Reason string     `json:"reason"`
	At     time.Time  `json:"at"`
}

type holderJSON struct {
	ID         string     `json:"id"`
	Hostname   string     `json:"hostname,omitempty"`
	BootID     string     `json:"boot_id,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	AcquiredAt *time.Time `json:"acquired_at,omitempty"`
}

func newStatusJSON(group, key string, st semaphore.State, waiters []string, pub map[string]nodestate.State) statusJSON {
	out := statusJSON{
		Group:     group,
		Key:       key,
		Available: st.Free(),
		Max:       st.Max,
		Holders:   []holderJSON{},
		Waiters:   append([]string{}, waiters...),
		Waiting:   []waiterJSON{},
		Revision:  st.Revision,
		Exists:    st.Revision != 0,
	}
	for _, h := range st.Holders {
		out.Holders = append(out.Holders, newHolderJSON(h))
	}
	for i, id := range waiters {
		wj := waiterJSON{Position: i + 1, ID: id}
		if p, ok := pub[id]; ok {
			wj.Hostname, wj.State, wj.Since = p.Hostname, p.State, &p.Since
		}
		out.Waiting = append(out.Waiting, wj)
	}
	if rm := st.LastRemoval; rm != nil {
		out.LastRemoval = &removalJSON{Holder: newHolderJSON(rm.Holder), By: rm.By, Reason: rm.Reason, At: rm.At}
	}
	if f := st.Freeze; f != nil {
		out.Frozen = &frozenJSON{PreviousMax: f.PreviousMax, Reason: f.Reason, At: f.At}
	}
	for _, f := range st.Failures {
		out.Failures = append(out.Failures, failureJSON(f))
	}
	return out
}

func newHolderJSON(h semaphore.Holder) holderJSON {
	hj := holderJSON{ID: h.ID, Hostname: h.Hostname, BootID: h.BootID, Reason: h.Reason}
	if !h.AcquiredAt.IsZero() {
		hj.AcquiredAt = &h.AcquiredAt
	}
	return hj
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// failedIDs lists the nodes of failures, "a, b".
func failedIDs(failures []semaphore.Failure) string {
	ids := make([]string, len(failures))
	for i, f := range failures {
		ids[i] = f.ID
	}
	return strings.Join(ids, ", ")
}
