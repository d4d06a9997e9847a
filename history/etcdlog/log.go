// Package etcdlog keeps the history of each group in etcd: a bounded log of events next to the
// group's semaphore key.
//
// # Keys
//
// For the semaphore key K of a group (see semaphore.Key), the log lives under K + "/history/":
//
//	K/history/seq                     the number of the last event, in decimal
//	K/history/events/<20-digit seq>   one event, as JSON (see history.history.Event)
//
// [Log.Append] writes an event, its number and the removal of the events that fall out of the
// bound in one transaction, which compares the mod revision of the seq key: two writers never
// take the same number, and the log never holds more than its limit. Old tools read only K, so
// they see no difference; the semaphore value does not grow.
package etcdlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/semaphore"
)

// DefaultLimit is how many events a group's log keeps by default. An event takes some 300
// bytes, so a full log takes about 300 KB of etcd's space per group.
const DefaultLimit = 1000

// ErrCorrupt is wrapped by the error of [Log.Append] when the seq key does not hold a number.
var ErrCorrupt = errors.New("corrupt history")

// Log is the history of one group. It is safe for concurrent use.
type Log struct {
	client *clientv3.Client
	group  string
	prefix string
	limit  int64

	mu       sync.Mutex
	seq, rev int64 // the seq key as last seen: its number and mod revision (0, 0: absent)
}

// New returns the log of group, keeping the last limit events (DefaultLimit when limit < 1).
// It does not contact etcd.
func New(client *clientv3.Client, group string, limit int) *Log {
	if limit < 1 {
		limit = DefaultLimit
	}
	return &Log{client: client, group: group, prefix: Prefix(group), limit: int64(limit)}
}

// Prefix returns the prefix of every key of group's log.
func Prefix(group string) string { return semaphore.Key(group) + "/history/" }

func (l *Log) seqKey() string          { return l.prefix + "seq" }
func (l *Log) eventsPrefix() string    { return l.prefix + "events/" }
func (l *Log) eventKey(n int64) string { return fmt.Sprintf("%s%020d", l.eventsPrefix(), n) }

// Append adds e, with the log's group, as the next event and removes, in the same transaction,
// the events that fall out of the limit. On the uncontended path it costs one round trip; a
// writer that raced reads the seq key in the same round trip and tries again. It returns nil
// once the event is stored, an error wrapping ErrCorrupt when the seq key holds no number
// (nothing is written then), or the error of ctx or etcd.
func (l *Log) Append(ctx context.Context, e history.Event) error {
	e.Group = l.group
	val, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("append to the history of %s: %w", l.group, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		n := l.seq + 1
		ops := []clientv3.Op{
			clientv3.OpPut(l.seqKey(), strconv.FormatInt(n, 10)),
			clientv3.OpPut(l.eventKey(n), string(val)),
		}
		if n > l.limit {
			ops = append(ops, clientv3.OpDelete(l.eventKey(0), clientv3.WithRange(l.eventKey(n-l.limit+1))))
		}
		resp, err := l.client.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(l.seqKey()), "=", l.rev)).
			Then(ops...).
			Else(clientv3.OpGet(l.seqKey())).
			Commit()
		if err != nil {
			return fmt.Errorf("append to the history at %s: %w", l.prefix, err)
		}
		if resp.Succeeded {
			l.seq, l.rev = n, resp.Header.Revision
			return nil
		}
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if len(kvs) == 0 {
			l.seq, l.rev = 0, 0
			continue
		}
		v, err := strconv.ParseInt(string(kvs[0].Value), 10, 64)
		if err != nil || v < 0 {
			return fmt.Errorf("%w: %s holds %q, not an event number (delete it to start the log anew)", ErrCorrupt, l.seqKey(), kvs[0].Value)
		}
		l.seq, l.rev = v, kvs[0].ModRevision
	}
}

// Corrupt is an event key whose value is not an event. [Log.List] and [Log.Follow] skip it and
// report it.
type Corrupt struct {
	Key     string
	Problem string
}

func (c Corrupt) String() string { return c.Key + ": " + c.Problem }

// Listing is the log as [Log.List] read it.
type Listing struct {
	// Events are the events that parsed, oldest first.
	Events []history.Event
	// Corrupt are the keys skipped.
	Corrupt []Corrupt
	// Revision is the store revision of the read; [Log.Follow] goes on from it.
	Revision int64
}

// List reads the whole log, in one request.
func (l *Log) List(ctx context.Context) (Listing, error) {
	resp, err := l.client.Get(ctx, l.eventsPrefix(), clientv3.WithPrefix(),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return Listing{}, fmt.Errorf("read the history at %s: %w", l.prefix, err)
	}
	out := Listing{Revision: resp.Header.Revision}
	for _, kv := range resp.Kvs {
		if e, err := l.parse(kv); err != nil {
			out.Corrupt = append(out.Corrupt, Corrupt{string(kv.Key), err.Error()})
		} else {
			out.Events = append(out.Events, e)
		}
	}
	return out, nil
}

// Follow calls f with each event appended after store revision rev, in order, and bad with
// each corrupt one, until ctx ends (it returns ctx's error then) or the watch fails, for
// example because rev was compacted away.
func (l *Log) Follow(ctx context.Context, rev int64, f func(history.Event), bad func(Corrupt)) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range l.client.Watch(wctx, l.eventsPrefix(), clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
		if err := resp.Err(); err != nil {
			return fmt.Errorf("follow the history at %s: %w", l.prefix, err)
		}
		for _, ev := range resp.Events {
			if ev.Type != clientv3.EventTypePut {
				continue // an event out of the bound
			}
			if e, err := l.parse(ev.Kv); err != nil {
				bad(Corrupt{string(ev.Kv.Key), err.Error()})
			} else {
				f(e)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("follow the history at %s: the watch ended", l.prefix)
}

// parse reads an event key.
func (l *Log) parse(kv *mvccpb.KeyValue) (history.Event, error) {
	var e history.Event
	n, err := strconv.ParseInt(strings.TrimPrefix(string(kv.Key), l.eventsPrefix()), 10, 64)
	if err != nil {
		return e, errors.New("the key has no event number")
	}
	if err := json.Unmarshal(kv.Value, &e); err != nil {
		return e, fmt.Errorf("not an event: %w", err)
	}
	if e.Time.IsZero() || e.Kind == "" {
		return e, errors.New("not an event: no time or no kind")
	}
	e.Seq = n
	return e, nil
}
