// Package sendq sends values in the background, in order, each try bounded by a timeout and
// retried a few times, so that what the daemon records (history, published state, webhooks)
// never blocks or fails a reboot.
package sendq

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"locksmith.dev/locksmith/internal/clock"
)

// Config tunes a [Queue]. Zero fields select the defaults named.
type Config struct {
	// What names the values in logs, e.g. "history event".
	What string
	// Size is how many values may wait; DefaultSize when 0. A value put into a full queue is
	// dropped and logged.
	Size int
	// Timeout bounds each try; DefaultTimeout when 0.
	Timeout time.Duration
	// Tries is how often a value is tried before it is dropped and logged; DefaultTries when 0.
	Tries int
	// Backoff is the delay before the second try, doubled for each later one; DefaultBackoff
	// when 0.
	Backoff time.Duration
	// Clock times the back-off; clock.Real when nil.
	Clock clock.Clock
	// Log receives a warning for each value dropped; nil discards them.
	Log *slog.Logger
}

// Defaults of [Config].
const (
	DefaultSize    = 256
	DefaultTimeout = 5 * time.Second
	DefaultTries   = 3
	DefaultBackoff = time.Second
)

// Queue sends the values put into it with its send function, one at a time, in order.
type Queue[T any] struct {
	cfg  Config
	send func(context.Context, T) error
	ch   chan T

	ctx    context.Context // ends the tries and back-offs in progress (Close's deadline)
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and sends on ch against Close
	closed bool
	done   chan struct{}
}

// Start returns a queue that sends with send until Close.
func Start[T any](cfg Config, send func(ctx context.Context, v T) error) *Queue[T] {
	cfg.Size = cmpOr(cfg.Size, DefaultSize)
	cfg.Timeout = cmpOr(cfg.Timeout, DefaultTimeout)
	cfg.Tries = cmpOr(cfg.Tries, DefaultTries)
	cfg.Backoff = cmpOr(cfg.Backoff, DefaultBackoff)
	if cfg.Clock == nil {
		cfg.Clock = clock.Real
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue[T]{cfg: cfg, send: send, ch: make(chan T, cfg.Size), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go q.run()
	return q
}

func cmpOr[N int | time.Duration](v, def N) N {
	if v <= 0 {
		return def
	}
	return v
}

// Put queues v and returns at once. It drops v, with a warning, when the queue is full or
// closed.
func (q *Queue[T]) Put(v T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		q.cfg.Log.Warn("dropped a "+q.cfg.What+": the queue is closed", "value", v)
		return
	}
	select {
	case q.ch <- v:
	default:
		q.cfg.Log.Warn("dropped a "+q.cfg.What+": too many wait to be sent", "queued", q.cfg.Size, "value", v)
	}
}

// Close stops taking values and sends those queued until ctx ends; what is left then is
// dropped. It returns when the queue's goroutine has ended.
func (q *Queue[T]) Close(ctx context.Context) {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	stop := context.AfterFunc(ctx, q.cancel)
	defer stop()
	<-q.done
	q.cancel()
}

func (q *Queue[T]) run() {
	defer close(q.done)
	for v := range q.ch {
		if q.ctx.Err() != nil {
			q.cfg.Log.Warn("dropped a "+q.cfg.What+": shutting down", "value", v)
			continue
		}
		q.deliver(v)
	}
}

// deliver tries v up to Tries times.
func (q *Queue[T]) deliver(v T) {
	d := q.cfg.Backoff
	var err error
	for try := 1; try <= q.cfg.Tries; try++ {
		ctx, cancel := clock.WithTimeout(q.ctx, q.cfg.Clock, q.cfg.Timeout)
		err = q.send(ctx, v)
		cancel()
		if err == nil {
			return
		}
		if try == q.cfg.Tries || clock.Sleep(q.ctx, q.cfg.Clock, d) != nil {
			break
		}
		d *= 2
	}
	q.cfg.Log.Warn("could not send a "+q.cfg.What+"; dropped it", "error", err, "value", v)
}
