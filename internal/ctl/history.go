package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/history/etcdlog"
	"locksmith.dev/locksmith/internal/timeline"
	"locksmith.dev/locksmith/semaphore"
)

// historyOptions are the options of history.
type historyOptions struct {
	node, since, timeline string
	follow, summary       bool
}

func (r *run) historyCommand() *cobra.Command {
	var o historyOptions
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Show what happened in the group: reboots, their phases and the operators' commands",
		Long: `History prints the events that locksmithd nodes and locksmithctl recorded in etcd for
the group, oldest first: a reboot needed, the wait for the window and for a slot,
the slot taken (with the place in the queue and the wait), the pre-reboot command,
the reboot (with the OS version), the boot, the post-reboot checks, the release,
stale removals, and set-max, lock, unlock and repair with who ran them. etcd keeps
the last 1000 events of each group.

--summary prints instead the last rollout, node by node: its wait, hold and down
times and its slowest phase. --timeline FILE.svg draws the last rollout (or, with
--since or --node, the events selected) as a Gantt chart. --follow prints the
events as they happen, until interrupted. With --json each event is one JSON
object per line.`,
		Args:              maxArgs(0),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE:              r.action(func(ctx context.Context, _ []string) error { return r.history(ctx, o) }),
	}
	fs := cmd.Flags()
	fs.StringVar(&o.node, "node", "", "only the events of this machine id")
	fs.StringVar(&o.since, "since", "", `only the events since this time: a duration before now ("2h"), a date ("2026-12-24") or an RFC 3339 time`)
	fs.BoolVar(&o.follow, "follow", false, "after the events so far, print new ones as they happen, until interrupted")
	fs.BoolVar(&o.summary, "summary", false, "print a summary of the last rollout instead of the events")
	fs.StringVar(&o.timeline, "timeline", "", "also draw the rollout as an SVG Gantt chart into this file")
	return cmd
}

// parseSince reads --since relative to now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usagef(`history: --since %q is neither a duration such as "2h" nor a time such as "2026-12-24" or "2026-12-24T10:00:00Z"`, s)
}

func (r *run) history(ctx context.Context, o historyOptions) error {
	now := r.cli.now()
	since, err := parseSince(o.since, now)
	if err != nil {
		return err
	}
	if o.follow && (o.summary || o.timeline != "") {
		return usagef("history: --follow cannot go with --summary or --timeline")
	}
	filter := history.Filter{Node: o.node, Since: since}
	client, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	log := etcdlog.New(client, r.opts.group, 0)
	tctx, cancel := r.withTimeout(ctx)
	listing, err := log.List(tctx)
	cancel()
	if err != nil {
		return fmt.Errorf("history of %s: %w", r.groupName(), r.etcdError(tctx, err))
	}
	for _, c := range listing.Corrupt {
		r.warnf("skipped a corrupt history event: %s", c)
	}
	var events []history.Event
	for _, e := range listing.Events {
		if filter.Match(e) {
			events = append(events, e)
		}
	}
	cycles := history.Cycles(events)
	if o.since == "" && o.node == "" {
		cycles = history.LastRollout(cycles, now)
	}
	if o.timeline != "" {
		if err := r.drawTimeline(ctx, client, o.timeline, cycles, now); err != nil {
			return err
		}
	}
	if o.summary {
		return r.printSummary(cycles, now)
	}
	for _, e := range events {
		if err := r.printEvent(e); err != nil {
			return err
		}
	}
	if !o.follow {
		if len(events) == 0 && !r.opts.json {
			fmt.Fprintf(r.cli.Stderr, "locksmithctl: note: no events recorded in %s%s\n", r.groupName(), filterNote(o))
		}
		return nil
	}
	err = log.Follow(ctx, listing.Revision, func(e history.Event) {
		if filter.Match(e) {
			_ = r.printEvent(e)
		}
	}, func(c etcdlog.Corrupt) { r.warnf("skipped a corrupt history event: %s", c) })
	if errors.Is(err, context.Canceled) {
		return nil // interrupted: the usual end of --follow
	}
	return err
}

func filterNote(o historyOptions) string {
	switch {
	case o.node != "" && o.since != "":
		return " for " + o.node + " since " + o.since
	case o.node != "":
		return " for " + o.node
	case o.since != "":
		return " since " + o.since
	}
	return ""
}

// printEvent prints one event: a line of text, or a JSON object on one line.
func (r *run) printEvent(e history.Event) error {
	if r.opts.json {
		return json.NewEncoder(r.cli.Stdout).Encode(struct {
			Seq int64 `json:"seq"`
			history.Event
		}{e.Seq, e})
	}
	_, err := fmt.Fprintf(r.cli.Stdout, "%s  %-18s  %s\n", e.Time.UTC().Format("2006-01-02 15:04:05 UTC"), e.Kind, e.Text())
	return err
}

// summaryJSON is a node's line of the summary, in JSON.
type summaryJSON struct {
	Node           string    `json:"node"`
	Hostname       string    `json:"hostname,omitempty"`
	Start          time.Time `json:"start"`
	WaitSeconds    float64   `json:"wait_seconds"`
	HoldSeconds    float64   `json:"hold_seconds"`
	DownSeconds    float64   `json:"down_seconds"`
	Slowest        string    `json:"slowest_phase,omitempty"`
	SlowestSeconds float64   `json:"slowest_seconds,omitempty"`
	Done           bool      `json:"done"`
	Failed         bool      `json:"checks_failed"`
}

// printSummary prints, per cycle of the rollout, its wait, hold and down times and its slowest
// phase.
func (r *run) printSummary(cycles []history.Cycle, now time.Time) error {
	var rows []summaryJSON
	for _, c := range cycles {
		s := summaryJSON{Node: c.Node, Hostname: c.Hostname, Start: c.Start(),
			WaitSeconds: c.Phase(history.PhaseWaiting, now).Seconds(), HoldSeconds: c.Held(now).Seconds(),
			DownSeconds: c.Phase(history.PhaseDown, now).Seconds(), Done: !c.Released.IsZero(), Failed: c.Failed}
		if sp, ok := c.Slowest(now); ok {
			s.Slowest, s.SlowestSeconds = string(sp.Phase), sp.Duration().Seconds()
		}
		rows = append(rows, s)
	}
	if r.opts.json {
		return writeJSON(r.cli.Stdout, struct {
			Group string        `json:"group"`
			Nodes []summaryJSON `json:"nodes"`
		}{r.opts.group, append([]summaryJSON{}, rows...)})
	}
	if len(rows) == 0 {
		fmt.Fprintf(r.cli.Stderr, "locksmithctl: note: no reboot recorded in %s\n", r.groupName())
		return nil
	}
	first, last := rows[0].Start, now
	if allDone(cycles) {
		last = cycles[0].Released
		for _, c := range cycles {
			last = maxTime(last, c.Released)
		}
	}
	fmt.Fprintf(r.cli.Stdout, "Last rollout in %s: %d reboots from %s, %s\n\n", r.groupName(), len(rows),
		first.UTC().Format("2006-01-02 15:04:05 UTC"), rolloutEnd(allDone(cycles), last.Sub(first)))
	tw := tabwriter.NewWriter(r.cli.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "MACHINE ID\tHOSTNAME\tWAIT\tHOLD\tDOWN\tSLOWEST PHASE\tOUTCOME")
	for _, s := range rows {
		outcome := "done"
		switch {
		case s.Failed:
			outcome = "checks failed"
		case !s.Done:
			outcome = "in progress"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Node, orDash(s.Hostname), secs(s.WaitSeconds), secs(s.HoldSeconds),
			secs(s.DownSeconds), orDash(s.Slowest+" "+secsOrEmpty(s.SlowestSeconds)), outcome)
	}
	return tw.Flush()
}

func allDone(cycles []history.Cycle) bool {
	for _, c := range cycles {
		if c.Released.IsZero() {
			return false
		}
	}
	return true
}

func rolloutEnd(done bool, took time.Duration) string {
	if done {
		return "took " + took.Round(time.Second).String()
	}
	return "in progress for " + took.Round(time.Second).String()
}

func secs(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

func secsOrEmpty(s float64) string {
	if s == 0 {
		return ""
	}
	return "(" + secs(s) + ")"
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// drawTimeline writes the chart of cycles to path, with the group's max as it is now.
func (r *run) drawTimeline(ctx context.Context, client *clientv3.Client, path string, cycles []history.Cycle, now time.Time) error {
	if len(cycles) == 0 {
		return fmt.Errorf("history: no reboot recorded in %s to draw", r.groupName())
	}
	sem := semaphore.New(client, r.opts.group)
	defer sem.Close()
	tctx, cancel := r.withTimeout(ctx)
	st, err := sem.Get(tctx)
	cancel()
	maxSlots := st.Max
	if err != nil {
		r.warnf("cannot read max of %s for the timeline: %v", r.groupName(), err)
		maxSlots = -1
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("history: --timeline: %w", err)
	}
	title := fmt.Sprintf("%s, %d reboots", r.groupName(), len(cycles))
	if err := timeline.SVG(f, timeline.Chart{Title: title, Cycles: cycles, Max: maxSlots, Now: now}); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("history: --timeline: %w", err)
	}
	fmt.Fprintf(r.cli.Stderr, "locksmithctl: wrote the timeline of %d reboots to %s\n", len(cycles), path)
	return nil
}
