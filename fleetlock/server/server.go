// Package server is a FleetLock server on locksmith's etcd semaphore: the protocol of package
// fleetlock, with places in the semaphore's FIFO queue for polling clients, the long-poll
// extension, optional binding of ids to client certificates, and metrics.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"time"

	"locksmith.dev/locksmith/fleetlock"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/semaphore"
)

// Defaults for the zero fields of [Config].
const (
	// DefaultClaimTimeout is a little over Zincati's poll period of about five minutes.
	DefaultClaimTimeout = 6 * time.Minute
	DefaultMaxWait      = time.Minute
)

// releaseTimeout bounds the server's own release of a slot whose client did not come back.
const releaseTimeout = 10 * time.Second

// Config configures a [Server]. The zero value is usable.
type Config struct {
	// ClaimTimeout is how long a client keeps its place in the queue, and a slot the queue
	// admitted it to, without coming back: no admitted slot stays idle for longer. 0 selects
	// DefaultClaimTimeout.
	ClaimTimeout time.Duration
	// MaxWait caps the wait of the long-poll extension; 0 selects DefaultMaxWait, a negative
	// value turns the extension off (the server then answers at once, like airlock).
	MaxWait time.Duration
	// Authorize, when set, is asked before a request acts for the client id; an error refuses
	// it with 403 (see CertificateAuthorizer).
	Authorize func(r *http.Request, id string) error
	// Clock measures the claim timeout; nil selects clock.Real.
	Clock clock.Clock
	// Logger; nil discards logs.
	Logger *slog.Logger
	// Metrics receives the server's figures; nil for none.
	Metrics *Metrics
}

// Server answers FleetLock requests on the semaphores of one etcd cluster. Make it with
// [New], serve [Server.Handler], and call [Server.Close] when done. It is safe for
// concurrent use.
type Server struct {
	client  *clientv3.Client
	cfg     Config
	clock   clock.Clock
	log     *slog.Logger
	metrics *Metrics
	ctx     context.Context // ends with Close
	stop    context.CancelFunc
	claims  sync.WaitGroup

	mu      sync.Mutex
	sems    map[string]*semaphore.Semaphore // by FleetLock group
	waiting map[claimKey]*claim
}

// NewServer returns a Server that takes slots through client. It does not contact etcd.
func New(client *clientv3.Client, cfg Config) *Server {
	cfg.ClaimTimeout = cmp.Or(cfg.ClaimTimeout, DefaultClaimTimeout)
	cfg.MaxWait = cmp.Or(cfg.MaxWait, DefaultMaxWait)
	s := &Server{client: client, cfg: cfg, clock: cmp.Or[clock.Clock](cfg.Clock, clock.Real),
		log: cfg.Logger, metrics: cfg.Metrics, sems: map[string]*semaphore.Semaphore{}, waiting: map[claimKey]*claim{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.metrics.watch(s)
	return s
}

// Handler returns the FleetLock endpoints, fleetlock.PathPreReboot and fleetlock.PathSteadyState; every other path
// is a FleetLock error of kind fleetlock.KindNotFound.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var endpoint string
		var fail *fleetlock.Error
		switch r.URL.Path {
		case fleetlock.PathPreReboot:
			endpoint = "pre-reboot"
			fail = s.serve(w, r, s.preReboot)
		case fleetlock.PathSteadyState:
			endpoint = "steady-state"
			fail = s.serve(w, r, s.steadyState)
		default:
			endpoint = "other"
			fail = failf(http.StatusNotFound, fleetlock.KindNotFound, "no FleetLock endpoint at %s; use %s or %s", r.URL.Path, fleetlock.PathPreReboot, fleetlock.PathSteadyState)
			s.log.Warn("FleetLock: refused a request", "remote", r.RemoteAddr, "path", r.URL.Path, "kind", fail.Kind, "problem", fail.Value)
			writeError(w, fail)
		}
		s.metrics.request(endpoint, fail, time.Since(start))
	})
}

// serve reads the request, authorizes it, runs op and writes its answer. It returns the error
// answered, nil for 200.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, op func(context.Context, http.ResponseWriter, *http.Request, fleetlock.ClientParams) *fleetlock.Error) *fleetlock.Error {
	p, fail := readRequest(w, r)
	if fail == nil && s.cfg.Authorize != nil {
		if err := s.cfg.Authorize(r, p.ID); err != nil {
			fail = failf(http.StatusForbidden, fleetlock.KindForbidden, "this client may not act for id %q: %v", p.ID, err)
		}
	}
	if fail != nil {
		s.log.Warn("FleetLock: refused a request", "remote", r.RemoteAddr, "path", r.URL.Path, "kind", fail.Kind, "problem", fail.Value)
		writeError(w, fail)
		return fail
	}
	if fail = op(r.Context(), w, r, p); fail != nil {
		writeError(w, fail)
	}
	return fail
}

// preReboot takes a slot for the client, or gives it a place in the queue; see the package
// documentation. It answers 200 only on what etcd said during this request: a slot taken, or
// this id found among the holders.
func (s *Server) preReboot(ctx context.Context, w http.ResponseWriter, r *http.Request, p fleetlock.ClientParams) *fleetlock.Error {
	sem, err := s.semaphore(p.Group)
	if err != nil {
		return failf(http.StatusServiceUnavailable, fleetlock.KindInternal, "%v", err)
	}
	h := semaphore.Holder{ID: p.ID, Reason: "FleetLock pre-reboot from " + r.RemoteAddr}
	key := claimKey{p.Group, p.ID}
	wait := waitOf(r, s.cfg.MaxWait)
	if wait > 0 {
		w.Header().Set(fleetlock.HeaderWait, fleetlock.FormatWait(wait))
	}
	deadline := s.clock.NewTimer(wait)
	defer deadline.Stop()
	for {
		// 200 comes only on etcd's word, asked during this request, and a claim cannot expire
		// while etcd is asked. A client still in the queue is answered from memory: the queue's
		// guard would refuse it anyway.
		var err error
		c := s.claimOf(key)
		switch {
		case c == nil:
			err = sem.TryAcquire(ctx, h)
		case !c.isAdmitted():
			// Still queued: the queue's guard would refuse it; etcd is not asked. (A claim
			// admitted an instant ago says so on the client's next request.)
			err = semaphore.ErrFull
		default:
			taken, gone, e := c.takeOver(func() error { return sem.TryAcquire(ctx, h) })
			if gone {
				select {
				case <-c.ended:
					continue
				case <-ctx.Done():
					return failf(http.StatusServiceUnavailable, fleetlock.KindInternal, "request ended: %v", context.Cause(ctx))
				}
			}
			if taken {
				c.cancel()
			}
			if !taken && errors.Is(e, semaphore.ErrFull) {
				// Admitted, but the slot is gone (an operator's unlock): a new place in the queue.
				c.end()
				c.cancel()
				c = nil
			}
			err = e
		}
		switch {
		case err == nil:
			s.log.Info("FleetLock: a client holds a reboot slot", "group", p.Group, "id", p.ID)
			writeOK(w, "slot held")
			return nil
		case !errors.Is(err, semaphore.ErrFull):
			return s.semaphoreError(p, err)
		}
		if c == nil {
			if c = s.startClaim(key, sem, h); c == nil {
				return failf(http.StatusServiceUnavailable, fleetlock.KindInternal, "the server is shutting down")
			}
		}
		c.come()
		if wait <= 0 {
			return s.full(sem, p)
		}
		select {
		case <-c.admitted:
		case <-c.ended:
			if err := c.failure(); err != nil {
				return s.semaphoreError(p, err)
			}
		case <-deadline.C():
			return s.full(sem, p)
		case <-ctx.Done():
			return failf(http.StatusServiceUnavailable, fleetlock.KindInternal, "request ended: %v", context.Cause(ctx))
		}
	}
}

// steadyState gives back the client's slot, and its place in the queue if it has one. A client
// that holds no slot gets 200 too. A release that loses a race is retried by the semaphore.
func (s *Server) steadyState(ctx context.Context, w http.ResponseWriter, _ *http.Request, p fleetlock.ClientParams) *fleetlock.Error {
	sem, err := s.semaphore(p.Group)
	if err != nil {
		return failf(http.StatusServiceUnavailable, fleetlock.KindInternal, "%v", err)
	}
	if c := s.claimOf(claimKey{p.Group, p.ID}); c != nil {
		c.end()
		c.cancel()
		<-c.ended
	}
	switch err := sem.Release(ctx, p.ID); {
	case errors.Is(err, semaphore.ErrNotHolder):
		writeOK(w, "held no slot")
	case err != nil:
		return s.semaphoreError(p, err)
	default:
		s.log.Info("FleetLock: a client gave back its reboot slot", "group", p.Group, "id", p.ID)
		writeOK(w, "slot released")
	}
	return nil
}

// full answers that no slot is free and that the client keeps its place in the queue. It asks
// etcd nothing: a polling client's refusals cost etcd no request.
func (s *Server) full(sem *semaphore.Semaphore, p fleetlock.ClientParams) *fleetlock.Error {
	taken := ""
	if st, ok := sem.Last(); ok {
		taken = fmt.Sprintf(" (%d of %d slots taken when last seen)", len(st.Holders), st.Max)
	}
	return failf(http.StatusConflict, fleetlock.KindSemaphoreFull, "no free reboot slot in group %q%s; this client has a place in the queue, kept for %s after each request",
		p.Group, taken, s.cfg.ClaimTimeout)
}

// semaphoreError words an error of the semaphore for the client: a corrupt value is the
// operator's to repair, anything else is etcd's trouble.
func (s *Server) semaphoreError(p fleetlock.ClientParams, err error) *fleetlock.Error {
	if errors.Is(err, semaphore.ErrCorrupt) {
		s.log.Error("FleetLock: the semaphore's value in etcd is corrupt; refusing until an operator repairs it (locksmithctl repair --force)", "group", p.Group, "error", err)
		return failf(http.StatusInternalServerError, fleetlock.KindInternal, "the semaphore of group %q is corrupt in etcd; an operator must repair it", p.Group)
	}
	if errors.Is(err, semaphore.ErrInvalidID) {
		return failf(http.StatusBadRequest, fleetlock.KindBadRequest, "client_params.id %q is not a valid holder id", p.ID)
	}
	s.log.Warn("FleetLock: etcd failed a request", "group", p.Group, "id", p.ID, "error", err)
	return failf(http.StatusServiceUnavailable, fleetlock.KindInternal, "etcd did not answer: %v", err)
}

// semaphore returns the semaphore of a FleetLock group, made on first use.
func (s *Server) semaphore(group string) (*semaphore.Semaphore, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return nil, errors.New("the server is shutting down")
	}
	sem, ok := s.sems[group]
	if !ok {
		sem = semaphore.New(s.client, fleetlock.LocksmithGroup(group))
		s.sems[group] = sem
	}
	return sem, nil
}

// claimOf returns the client's claim, nil if it has none.
func (s *Server) claimOf(key claimKey) *claim {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting[key]
}

// startClaim gives the client a place in the queue (see claim), replacing an ended claim; nil
// once the server is closing.
func (s *Server) startClaim(key claimKey, sem *semaphore.Semaphore, h semaphore.Holder) *claim {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return nil
	}
	if c := s.waiting[key]; c != nil && !c.isOver() {
		return c
	}
	ctx, cancel := context.WithCancel(s.ctx)
	c := newClaim(key, cancel)
	s.waiting[key] = c
	s.claims.Go(func() { s.runClaim(ctx, c, sem, h) })
	return c
}

// forget removes an ended claim.
func (s *Server) forget(c *claim) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting[c.key] == c {
		delete(s.waiting, c.key)
	}
}

// waitingIn counts the clients with a place in the queue of each group, for metrics.
func (s *Server) waitingIn() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := map[string]int{}
	for k, c := range s.waiting {
		if !c.isAdmitted() {
			n[k.group]++
		}
	}
	return n
}

// lastStates returns what each group's semaphore last saw, for metrics; no I/O.
func (s *Server) lastStates() map[string]semaphore.State {
	s.mu.Lock()
	sems := maps.Clone(s.sems)
	s.mu.Unlock()
	out := map[string]semaphore.State{}
	for g, sem := range sems {
		if st, ok := sem.Last(); ok {
			out[g] = st
		}
	}
	return out
}

// Close ends the server's waits: clients lose their places in the queue (their waiter keys are
// deleted), and a slot admitted to a client that has not taken it over stays held, as the
// client's: its next pre-reboot, to any server, gets 200. Requests in progress get 503.
func (s *Server) Close() error {
	s.mu.Lock()
	s.stop()
	sems := maps.Clone(s.sems)
	s.mu.Unlock()
	s.claims.Wait()
	var errs []error
	for _, sem := range sems {
		errs = append(errs, sem.Close())
	}
	return errors.Join(errs...)
}
