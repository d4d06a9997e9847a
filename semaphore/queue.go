package semaphore

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// maxBatch bounds the number of waiters one compare-and-swap admits: it
// compares and deletes one key per waiter, and also deletes up to
// maxReleases release requests, and etcd refuses transactions of more than
// 128 operations per branch by default.
const maxBatch = 60

// queued is one waiter key as read: who waits, with the facts it will hold
// its slot with.
type queued struct {
	key string
	rev int64 // create revision: the place in the queue
	h   Holder
}

// Names of the facts in a waiter key's query string.
const (
	factHost   = "host"
	factBoot   = "boot"
	factReason = "reason"
	factAt     = "at"
)

// waiterKey returns the waiter key of h for the wait of lease:
// <queue><lease>, followed by h's facts as a query string
// ("?boot=..&host=..&reason=..") when it has any, so that whoever admits
// the waiter can write them into the value. The value of the key is h.ID.
func waiterKey(queue string, lease clientv3.LeaseID, h Holder) string {
	key := fmt.Sprintf("%s%016x", queue, int64(lease))
	q := url.Values{}
	for name, v := range map[string]string{factHost: h.Hostname, factBoot: h.BootID, factReason: h.Reason} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if at := formatAt(h.AcquiredAt); at != "" {
		q.Set(factAt, at)
	}
	if len(q) == 0 {
		return key
	}
	return key + "?" + q.Encode()
}

// parseQueued reads a waiter key. Facts that cannot be parsed (a key
// written by another tool) are left out; the id is the value.
func parseQueued(kv *mvccpb.KeyValue) queued {
	q := queued{key: string(kv.Key), rev: kv.CreateRevision, h: Holder{ID: string(kv.Value)}}
	_, query, ok := strings.Cut(q.key, "?")
	if !ok {
		return q
	}
	facts, err := url.ParseQuery(query)
	if err != nil {
		return q
	}
	q.h.Hostname, q.h.BootID, q.h.Reason = facts.Get(factHost), facts.Get(factBoot), facts.Get(factReason)
	if at, err := time.Parse(time.RFC3339Nano, facts.Get(factAt)); err == nil {
		q.h.AcquiredAt = at
	}
	return q
}

// lastWaiterKey returns the key that names the waiter key put last in the
// queue of the semaphore in key, bound to the same lease: a newcomer to
// the queue reads it to find the waiter ahead without sorting the queue.
// Whoever deletes a waiter key deletes it too when it names that key
// (forgetLast).
func lastWaiterKey(key string) string { return key + "/last-waiter" }

// forgetLast returns the operation that deletes the last-waiter key if it
// names the waiter key wkey.
func (s *Semaphore) forgetLast(wkey string) clientv3.Op {
	return clientv3.OpTxn([]clientv3.Cmp{clientv3.Compare(clientv3.Value(s.last), "=", wkey)}, []clientv3.Op{clientv3.OpDelete(s.last)}, nil)
}
