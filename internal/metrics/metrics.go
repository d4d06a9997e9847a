// Package metrics is locksmithd's Prometheus metrics: what the node does, its window, its waits
// and holds, and its group as last seen. Collecting them never does I/O: an idle node's metrics
// cost etcd nothing.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/semaphore/slot"
	"locksmith.dev/locksmith/strategy"
)

// States are the values of the locksmith_state gauge's label, one series each.
var States = []daemon.State{
	daemon.StateStarting, daemon.StateCheckingHealth, daemon.StateHealthFailed, daemon.StateIdle,
	daemon.StateWaitingWindow, daemon.StateBlocked, daemon.StateWaitingSlot, daemon.StateSlotTaken, daemon.StatePreReboot,
	daemon.StateLoginDelay, daemon.StateRebooting, daemon.StateRetrying, daemon.StateOff, daemon.StateStopped,
}

// Node is the metrics of one locksmithd. Feed it with Observe (daemon events), Record (history
// events) and BackendError; register it with a prometheus.Registerer.
type Node struct {
	schedule strategy.Schedule
	now      func() time.Time

	wait, held                       prometheus.Histogram
	reboots, checkFailures, removals prometheus.Counter
	backendErrors                    prometheus.Counter

	stateDesc, neededDesc, holdingDesc, openDesc, nextDesc, maxDesc, holdersDesc, frozenDesc, failuresDesc *prometheus.Desc

	mu      sync.Mutex
	group   func() (slot.State, bool) // the group's semaphore as last seen; nil when unknown
	state   daemon.State
	needed  bool
	holding bool
	rounds  int // failed check rounds seen in the current run of failures
}

// New returns the metrics of a node with schedule and the clock now. An always-open schedule
// has no next opening: that series is left out.
func New(schedule strategy.Schedule, now func() time.Time) *Node {
	buckets := []float64{1, 10, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600}
	return &Node{
		schedule: schedule, now: now,
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "locksmith_slot_wait_seconds",
			Help: "Time from joining the queue to taking a reboot slot, over the waits that ended with a slot.", Buckets: buckets}),
		held: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "locksmith_slot_held_seconds",
			Help: "Time a reboot slot was held, reboot included, over the slots given back.", Buckets: buckets}),
		reboots: prometheus.NewCounter(prometheus.CounterOpts{Name: "locksmith_reboots_total",
			Help: "Reboots this daemon requested."}),
		checkFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "locksmith_post_reboot_check_failures_total",
			Help: "Rounds of post-reboot checks that failed."}),
		removals: prometheus.NewCounter(prometheus.CounterOpts{Name: "locksmith_stale_removals_total",
			Help: "Stale slot holders this daemon removed (--lock-ttl)."}),
		backendErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "locksmith_backend_errors_total",
			Help: "Errors of etcd or the FleetLock server that this daemon met (and retried)."}),
		stateDesc:   prometheus.NewDesc("locksmith_state", "What the daemon does: 1 for the current state, 0 for the others.", []string{"state"}, nil),
		neededDesc:  prometheus.NewDesc("locksmith_reboot_needed", "1 while a reboot is needed and has not happened yet.", nil, nil),
		holdingDesc: prometheus.NewDesc("locksmith_slot_held", "1 while this node holds a reboot slot.", nil, nil),
		openDesc:    prometheus.NewDesc("locksmith_reboot_window_open", "1 while the reboot window is open.", nil, nil),
		nextDesc: prometheus.NewDesc("locksmith_reboot_window_next_open_timestamp_seconds",
			"Start of the current or next opening of the reboot window, as a Unix time.", nil, nil),
		maxDesc:     prometheus.NewDesc("locksmith_group_max", "Max of the node's group, as last read from etcd.", nil, nil),
		holdersDesc: prometheus.NewDesc("locksmith_group_holders", "Holders of the node's group, as last read from etcd.", nil, nil),
		frozenDesc: prometheus.NewDesc("locksmith_group_frozen", "1 while the node's group is frozen by its failure budget "+
			"(--max-failures; locksmithctl resume ends it), as last read from etcd.", nil, nil),
		failuresDesc: prometheus.NewDesc("locksmith_group_failed_reboots", "Failed reboots counted against the group's failure budget, as last read from etcd.", nil, nil),
	}
}

// Register registers every metric of n with reg.
func (n *Node) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{n.wait, n.held, n.reboots, n.checkFailures, n.removals, n.backendErrors, n} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// SetGroup sets group, which returns the semaphore of the node's group as last seen, without
// I/O (semaphore.Semaphore.Last), for locksmith_group_max and locksmith_group_holders.
func (n *Node) SetGroup(group func() (slot.State, bool)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.group = group
}

// Observe takes in a daemon event; it is a daemon.Config.OnEvent.
func (n *Node) Observe(e daemon.Event) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.state, n.needed, n.holding = e.State, e.RebootNeeded, e.Holding
	switch {
	case e.Check == nil:
		n.rounds = 0
	case e.Check.Rounds > n.rounds:
		n.checkFailures.Add(float64(e.Check.Rounds - n.rounds))
		n.rounds = e.Check.Rounds
	}
}

// Record takes in a history event.
func (n *Node) Record(e history.Event) {
	switch e.Kind {
	case history.SlotTaken:
		n.wait.Observe(e.WaitSeconds)
	case history.Released:
		if e.HeldSeconds > 0 {
			n.held.Observe(e.HeldSeconds)
		}
	case history.RebootRequested:
		n.reboots.Inc()
	case history.StaleRemoved:
		n.removals.Inc()
	}
}

// BackendError counts an error of etcd or the FleetLock server.
func (n *Node) BackendError() { n.backendErrors.Inc() }

// Describe is part of prometheus.Collector.
func (n *Node) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{n.stateDesc, n.neededDesc, n.holdingDesc, n.openDesc, n.nextDesc, n.maxDesc, n.holdersDesc, n.frozenDesc, n.failuresDesc} {
		ch <- d
	}
}

// Collect is part of prometheus.Collector; it does no I/O.
func (n *Node) Collect(ch chan<- prometheus.Metric) {
	n.mu.Lock()
	state, needed, holding, group := n.state, n.needed, n.holding, n.group
	n.mu.Unlock()
	for _, s := range States {
		ch <- prometheus.MustNewConstMetric(n.stateDesc, prometheus.GaugeValue, bit(s == state), string(s))
	}
	ch <- prometheus.MustNewConstMetric(n.neededDesc, prometheus.GaugeValue, bit(needed))
	ch <- prometheus.MustNewConstMetric(n.holdingDesc, prometheus.GaugeValue, bit(holding))
	now := n.now()
	ch <- prometheus.MustNewConstMetric(n.openDesc, prometheus.GaugeValue, bit(n.schedule.Contains(now)))
	if !n.schedule.Empty() {
		start, _ := n.schedule.Next(now)
		ch <- prometheus.MustNewConstMetric(n.nextDesc, prometheus.GaugeValue, float64(start.UnixMilli())/1000)
	}
	if group == nil {
		return
	}
	if st, ok := group(); ok {
		ch <- prometheus.MustNewConstMetric(n.maxDesc, prometheus.GaugeValue, float64(st.Max))
		ch <- prometheus.MustNewConstMetric(n.holdersDesc, prometheus.GaugeValue, float64(len(st.Holders)))
		ch <- prometheus.MustNewConstMetric(n.frozenDesc, prometheus.GaugeValue, bit(st.Freeze != nil))
		ch <- prometheus.MustNewConstMetric(n.failuresDesc, prometheus.GaugeValue, float64(len(st.Failures)))
	}
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
