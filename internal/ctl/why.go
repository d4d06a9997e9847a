package ctl

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/history/etcdlog"
	"locksmith.dev/locksmith/nodestate"
	"locksmith.dev/locksmith/semaphore"
)

func (r *run) whyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "why [ID]",
		Short: "Say in one sentence what holds this machine (or the given machine id) from rebooting",
		Long: `Why names the one gate now in force for this machine (its /etc/machine-id) or the
given machine id, with its numbers: no reboot needed, the reboot window closed
(and when it opens), the group paused (max 0, and who set it), its place in the
queue and who holds the slots, failing post-reboot checks, or what it does now.
It reads the group's semaphore, its queue and what the node published of itself
(locksmithd publishes its state in etcd whenever it changes). With --json it
prints {"node", "gate", "reason"}.`,
		Args:              maxArgs(1),
		ValidArgsFunction: r.completeHolders,
		RunE:              r.action(r.why),
	}
}

// whyFacts is what why reads in etcd.
type whyFacts struct {
	node      string
	state     semaphore.State
	waiters   []string
	published nodestate.State
	known     bool           // published is set
	setMax    *history.Event // the last set-max, read only while max is 0
	now       time.Time
}

func (r *run) why(ctx context.Context, args []string) error {
	id, _, err := r.holderID(args)
	if err != nil {
		return fmt.Errorf("why: %w", err)
	}
	var f whyFacts
	err = r.withSemaphore(ctx, func(ctx context.Context, sem *semaphore.Semaphore) error {
		f, err = r.whyFacts(ctx, sem, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("why %s in %s: %w", id, r.groupName(), corruptHint(r.etcdError(ctx, err)))
	}
	gate, reason := f.explain()
	if r.opts.json {
		return writeJSON(r.cli.Stdout, struct {
			Node   string `json:"node"`
			Group  string `json:"group"`
			Gate   string `json:"gate"`
			Reason string `json:"reason"`
		}{id, r.opts.group, gate, reason})
	}
	_, err = fmt.Fprintf(r.cli.Stdout, "%s: %s\n", id, reason)
	return err
}

// whyFacts reads what why needs about id.
func (r *run) whyFacts(ctx context.Context, sem *semaphore.Semaphore, id string) (whyFacts, error) {
	f := whyFacts{node: id, now: r.cli.now()}
	var err error
	if f.state, err = sem.Get(ctx); err != nil {
		return f, err
	}
	if f.waiters, err = sem.Waiters(ctx); err != nil {
		return f, err
	}
	if f.published, f.known, err = nodestate.Get(ctx, r.client, r.opts.group, id); err != nil {
		return f, err
	}
	if f.state.Max == 0 {
		listing, err := etcdlog.New(r.client, r.opts.group, 0).List(ctx)
		if err != nil {
			return f, err
		}
		for i := len(listing.Events) - 1; i >= 0; i-- {
			if e := listing.Events[i]; e.Kind == history.SetMax {
				f.setMax = &e
				break
			}
		}
	}
	return f, nil
}

// The gates why names.
const (
	gateHolding   = "holding"
	gateRebooting = "rebooting"
	gateChecks    = "checks-failing"
	gateIdle      = "no-reboot-needed"
	gateWindow    = "window-closed"
	gateBlocked   = "blocked"
	gatePaused    = "paused"
	gateFrozen    = "frozen"
	gateQueue     = "waiting"
	gateUnknown   = "unknown"
	gateOther     = "state"
)

// explain names the gate in force and says it in one sentence.
func (f whyFacts) explain() (gate, reason string) {
	p := f.published
	if h, held := f.state.Holder(f.node); held {
		switch {
		case f.known && p.Check != nil:
			reason = fmt.Sprintf("holding its slot: post-reboot check `%s` failing since %s (%s)", p.Check.Command,
				f.clock(p.Check.FailingSince), plural(p.Check.Tries, "try", "tries"))
			if p.State == "health-failed" {
				reason += "; the checks gave up: fix the node, then run locksmithctl unlock " + f.node
			}
			return gateChecks, reason
		case f.known && p.State == "rebooting":
			return gateRebooting, fmt.Sprintf("rebooting: the reboot was requested %s ago; the slot is given back once the node is up and its checks pass", f.ago(p.Since))
		}
		reason = "holding its slot"
		if !h.AcquiredAt.IsZero() {
			reason += " (for " + f.ago(h.AcquiredAt) + ")"
		}
		if f.known {
			reason += ": " + p.Status
		}
		return gateHolding, reason
	}
	position := 0
	for i, id := range f.waiters {
		if id == f.node {
			position = i + 1
		}
	}
	switch {
	case position > 0 || f.known && p.State == "waiting-for-slot":
		return f.queue(position)
	case !f.known:
		return gateUnknown, "no state published in etcd: locksmithd does not run there, runs an older version, " +
			"or takes its slot without etcd (FleetLock, or strategy reboot without an endpoint)"
	case p.State == "idle" || p.State == "off":
		if p.State == "off" {
			return gateIdle, "strategy off: this node never reboots"
		}
		return gateIdle, "no reboot needed"
	case p.State == "blocked":
		return gateBlocked, fmt.Sprintf("blocked for %s: %s", f.ago(p.Since), p.BlockedBy)
	case p.State == "waiting-for-window":
		loc := time.Local
		if l, err := time.LoadLocation(p.TimeZone); err == nil && p.TimeZone != "" {
			loc = l
		}
		return gateWindow, fmt.Sprintf("window closed: opens %s %s (in %s)", p.WindowOpens.In(loc).Format("Mon 15:04"), loc,
			p.WindowOpens.Sub(f.now).Round(time.Minute))
	}
	return gateOther, fmt.Sprintf("%s (for %s): %s", p.State, f.ago(p.Since), p.Status)
}

// queue says where the node waits; position 0 when it is not in the queue right now.
func (f whyFacts) queue(position int) (gate, reason string) {
	if fr := f.state.Freeze; fr != nil {
		return gateFrozen, fmt.Sprintf("frozen %s ago: %s; nobody gets a slot until locksmithctl resume restores max %d",
			f.ago(fr.At), fr.Reason, fr.PreviousMax)
	}
	if f.state.Max == 0 {
		reason = "paused: max is 0"
		if e := f.setMax; e != nil && e.Max != nil && *e.Max == 0 {
			reason += fmt.Sprintf(" (set by %s %s ago)", e.By, f.ago(e.Time))
		}
		return gatePaused, reason + "; nobody gets a slot until locksmithctl set-max raises it"
	}
	where := "between two tries, not in the queue right now"
	if position > 0 {
		where = fmt.Sprintf("position %d of %d", position, len(f.waiters))
	}
	var held []string
	holders := slices.Clone(f.state.Holders)
	slices.SortStableFunc(holders, func(a, b semaphore.Holder) int { return a.AcquiredAt.Compare(b.AcquiredAt) }) // longest first
	for _, h := range holders {
		s := h.ID
		if !h.AcquiredAt.IsZero() {
			s += " (for " + f.ago(h.AcquiredAt) + ")"
		}
		held = append(held, s)
	}
	slots := "no slot is held"
	if len(held) > 0 {
		slots = "slots held by " + joinAnd(held)
	}
	return gateQueue, fmt.Sprintf("waiting: %s; %s; max %d", where, slots, f.state.Max)
}

func (f whyFacts) ago(t time.Time) string { return f.now.Sub(t).Round(time.Second).String() }

// clock shows t as a time of day, with the date when it is not today.
func (f whyFacts) clock(t time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); y == f.now.Local().Year() && m == f.now.Local().Month() && d == f.now.Local().Day() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
