package service

import (
	"log/slog"
	"sync"
	"time"
)

// troubleEvery is how often troubleLog logs while the trouble lasts.
const troubleEvery = 30 * time.Second

// troubleLog returns the semaphore's trouble hook (semaphore.WithTrouble): it logs the first
// error of etcd that a wait for a slot waits out, then at most one every troubleEvery by now,
// with the number of errors since the last line, so that an outage of etcd shows in the log
// without filling it.
func troubleLog(log *slog.Logger, now func() time.Time) func(error) {
	var mu sync.Mutex
	var last time.Time
	quiet := 0
	return func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if t := now(); last.IsZero() || t.Sub(last) >= troubleEvery {
			log.Warn("etcd trouble while waiting for a slot; keeping this node's place in the queue and trying again",
				"error", err, "errors_since_last_line", quiet)
			last, quiet = t, 0
			return
		}
		quiet++
	}
}
