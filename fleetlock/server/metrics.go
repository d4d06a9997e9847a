package server

import (
	"time"

	"locksmith.dev/locksmith/fleetlock"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus figures of a [Server]: requests by endpoint and outcome, their
// latency, and per group the holders, max and clients waiting as the server last saw them. The
// group figures are read from what the server already knows: collecting them sends etcd nothing.
// A nil *Metrics records nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	expiries prometheus.Counter
	holders  *prometheus.Desc
	max      *prometheus.Desc
	waiting  *prometheus.Desc
	server   *Server
}

// NewMetrics registers the figures with reg and returns them, for one Config.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "locksmith_fleetlock_requests_total",
			Help: "FleetLock requests answered, by endpoint and by outcome (ok, or the error kind).",
		}, []string{"endpoint", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "locksmith_fleetlock_request_duration_seconds",
			Help:    "Time to answer a FleetLock request, long polls included, by endpoint.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, 1, 5, 30, 60},
		}, []string{"endpoint"}),
		expiries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "locksmith_fleetlock_claim_expiries_total",
			Help: "Slots given back because the client they were admitted to did not come back within the claim timeout.",
		}),
		holders: prometheus.NewDesc("locksmith_fleetlock_holders", "Holders of the group's semaphore, as last seen.", []string{"group"}, nil),
		max:     prometheus.NewDesc("locksmith_fleetlock_max", "Max of the group's semaphore, as last seen.", []string{"group"}, nil),
		waiting: prometheus.NewDesc("locksmith_fleetlock_waiting_clients", "FleetLock clients with a place in the group's queue.", []string{"group"}, nil),
	}
	reg.MustRegister(m.requests, m.latency, m.expiries, m)
	return m
}

// Describe is part of prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.holders
	ch <- m.max
	ch <- m.waiting
}

// Collect is part of prometheus.Collector: it reports what the server knows, without I/O.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	if m.server == nil {
		return
	}
	for g, st := range m.server.lastStates() {
		ch <- prometheus.MustNewConstMetric(m.holders, prometheus.GaugeValue, float64(len(st.Holders)), g)
		ch <- prometheus.MustNewConstMetric(m.max, prometheus.GaugeValue, float64(st.Max), g)
	}
	for g, n := range m.server.waitingIn() {
		ch <- prometheus.MustNewConstMetric(m.waiting, prometheus.GaugeValue, float64(n), g)
	}
}

// watch ties the group figures to s.
func (m *Metrics) watch(s *Server) {
	if m != nil {
		m.server = s
	}
}

// request records one answered request.
func (m *Metrics) request(endpoint string, fail *fleetlock.Error, took time.Duration) {
	if m == nil {
		return
	}
	outcome := "ok"
	if fail != nil {
		outcome = fail.Kind
	}
	m.requests.WithLabelValues(endpoint, outcome).Inc()
	m.latency.WithLabelValues(endpoint).Observe(took.Seconds())
}

// expired records a slot given back after the claim timeout.
func (m *Metrics) expired() {
	if m != nil {
		m.expiries.Inc()
	}
}
