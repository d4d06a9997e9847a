package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/history/etcdlog"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/daemon/config"
	"locksmith.dev/locksmith/internal/metrics"
	"locksmith.dev/locksmith/internal/sendq"
	"locksmith.dev/locksmith/nodestate"
	"locksmith.dev/locksmith/notify"
	"locksmith.dev/locksmith/semaphore/slot"
)

// flushTimeout bounds how long locksmithd, when it stops, sends what its observers still hold.
const flushTimeout = 3 * time.Second

// observers fans what the machine reports out to the history in etcd, the node's published
// state, the webhook and the metrics. Every one of them is best effort: each sends in the
// background (package sendq) and its failures are logged, never returned to the machine.
type observers struct {
	log      *slog.Logger
	onEvent  []func(daemon.Event)
	onRecord []func(history.Event)
	closers  []func(context.Context)
	metrics  *metrics.Node // nil without --metrics-address
	position atomic.Int64  // where the node queued last (semaphore.WithQueued), for slot-taken
}

// newObservers starts the webhook and the metrics server as s asks. A metrics address that
// cannot be listened on is an error wrapping config.ErrInvalid.
func newObservers(s config.Settings, log *slog.Logger) (*observers, error) {
	o := &observers{log: log}
	if s.NotifyURL != "" {
		hook := notify.Webhook{URL: s.NotifyURL, Client: &http.Client{}}
		q := sendq.Start(sendq.Config{What: "webhook post", Log: log}, hook.Send)
		o.onRecord = append(o.onRecord, q.Put)
		o.closers = append(o.closers, q.Close)
	}
	if s.MetricsAddress != "" {
		if err := o.serveMetrics(s); err != nil {
			o.close()
			return nil, err
		}
	}
	return o, nil
}

// serveMetrics serves the metrics at s.MetricsAddress.
func (o *observers) serveMetrics(s config.Settings) error {
	ln, err := net.Listen("tcp", s.MetricsAddress)
	if err != nil {
		return fmt.Errorf("%w: --metrics-address %s: %w", config.ErrInvalid, s.MetricsAddress, err)
	}
	o.metrics = metrics.New(s.Schedule, time.Now)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := o.metrics.Register(reg); err != nil {
		_ = ln.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.log.Error("the metrics server stopped", "error", err)
		}
	}()
	o.onEvent = append(o.onEvent, o.metrics.Observe)
	o.onRecord = append(o.onRecord, o.metrics.Record)
	o.closers = append(o.closers, func(ctx context.Context) { _ = srv.Shutdown(ctx) })
	o.log.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return nil
}

// useEtcd keeps the history of group in etcd, size events at most, and publishes the node's state there, through
// client. group returns the semaphore as last seen, for the metrics.
func (o *observers) useEtcd(client *clientv3.Client, cfg daemon.Config, size int, group func() (slot.State, bool)) {
	hist := etcdlog.New(client, cfg.Group, size)
	hq := sendq.Start(sendq.Config{What: "history event", Log: o.log}, hist.Append)
	o.onRecord = append(o.onRecord, func(e history.Event) {
		switch e.Kind {
		case history.WaitingForSlot:
			o.position.Store(0)
		case history.SlotTaken:
			e.Position = int(o.position.Swap(0))
		}
		hq.Put(e)
	})
	pq := sendq.Start(sendq.Config{What: "published node state", Log: o.log}, func(ctx context.Context, st nodestate.State) error {
		return nodestate.Publish(ctx, client, st)
	})
	o.onEvent = append(o.onEvent, publisher(cfg, pq.Put))
	o.closers = append(o.closers, hq.Close, pq.Close)
	if o.metrics != nil {
		o.metrics.SetGroup(group)
	}
}

// queued is the semaphore's WithQueued hook.
func (o *observers) queued(_ string, position int) { o.position.Store(int64(position)) }

// backendError counts an error of etcd or the FleetLock server.
func (o *observers) backendError() {
	if o.metrics != nil {
		o.metrics.BackendError()
	}
}

// Record is the machine's daemon.History.
func (o *observers) Record(e history.Event) {
	for _, f := range o.onRecord {
		f(e)
	}
}

// event is the machine's daemon.Config.OnEvent, after next (the state file's).
func (o *observers) event(next func(daemon.Event)) func(daemon.Event) {
	return func(e daemon.Event) {
		next(e)
		for _, f := range o.onEvent {
			f(e)
		}
	}
}

// close sends what is left, within flushTimeout, and stops the metrics server.
func (o *observers) close() {
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	for _, c := range o.closers {
		c(ctx)
	}
}

// publisher returns an OnEvent that publishes the node's state whenever what it shows changes:
// its state, whether a reboot is needed, the next window, the failing checks.
// A daemon that stops for the reboot it requested leaves "rebooting" in place, as it does in
// coordinator.conf: that is what the node does until it is back. "starting" is not published.
func publisher(cfg daemon.Config, put func(nodestate.State)) func(daemon.Event) {
	var last nodestate.State
	return func(e daemon.Event) {
		if e.State == daemon.StateStarting || e.State == daemon.StateStopped && last.State == string(daemon.StateRebooting) {
			return // starting lasts a moment: the next state is worth the write
		}
		st := nodestate.State{
			Node: cfg.MachineID, Hostname: cfg.Hostname, Group: cfg.Group,
			State: string(e.State), Status: e.Status, Since: e.Since,
			RebootNeeded: e.RebootNeeded, WindowOpens: e.WindowOpens, BlockedBy: e.BlockedBy, TimeZone: cfg.Schedule.Location().String(),
		}
		if c := e.Check; c != nil {
			st.Check = &nodestate.Check{Command: c.Command, Error: c.Error, FailingSince: c.Since, Tries: c.Rounds}
		}
		if same(st, last) {
			return
		}
		last = st
		put(st)
	}
}

// same reports whether a and b show the same: the status text alone (a retry's new error, the
// reboot's request time) is not worth a write.
func same(a, b nodestate.State) bool {
	if (a.Check == nil) != (b.Check == nil) || a.Check != nil && *a.Check != *b.Check {
		return false
	}
	a.Check, b.Check, a.Status, b.Status = nil, nil, "", ""
	return a == b
}
