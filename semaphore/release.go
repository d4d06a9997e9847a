package semaphore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// maxReleases bounds the number of release requests one write applies
// (it deletes their keys; see maxBatch).
const maxReleases = 60

// Release gives back the slot of id. It returns an error wrapping
// ErrNotHolder when id holds no slot (nothing is written), ErrInvalidID, a
// *CorruptError, or the error of etcd or ctx. A Release that loses a race
// for the key leaves a release request, which the next write of any
// Semaphore applies (see the package documentation); Release returns nil
// once its slot is given back, by its own write or another's, and
// withdraws the request when it fails.
func (s *Semaphore) Release(ctx context.Context, id string) error {
	err := validateID(id)
	if err == nil {
		err = s.release(ctx, id)
	}
	if err != nil {
		return s.explain(ctx, fmt.Errorf("release %s for %q: %w", s.key, id, err))
	}
	return nil
}

// release is Release without the error context.
func (s *Semaphore) release(ctx context.Context, id string) error {
	key := releasesPrefix(s.key) + fmt.Sprintf("%016x", rand.Uint64()) // this call's request
	var asked *Holder                                                  // the slot of the last request sent
	pending := false                                                   // a request was sent for a slot held in a value read during this call
	rules := writeRules{
		ask: func(sn snapshot) clientv3.Op {
			h, _ := sn.state.Holder(id)
			asked, pending = &h, pending || sn.fresh
			return clientv3.OpPut(key, requestValue(id, h))
		},
		// The value read with the request put: if it holds the slot
		// asked for, the request is pending. While waiters are queued,
		// the head applies it: wait for that rather than compete with
		// the head for the key.
		answered: func(sn snapshot, queued bool) error {
			if h, ok := sn.state.Holder(id); !ok || formatAt(h.AcquiredAt) != formatAt(asked.AcquiredAt) {
				return nil
			}
			pending = true
			if queued {
				return &yieldedError{rev: sn.seen}
			}
			return nil
		},
		// The slot may have been given back by the write whose outcome is unknown.
		unsure: func() { pending = true },
	}
	m := func(sn snapshot) (State, error) {
		st, err := sn.valid()
		if err != nil {
			return State{}, err
		}
		if _, ok := st.Holder(id); ok {
			return st.Without(id), nil
		}
		if pending {
			return State{}, errNoWrite // another write applied the request
		}
		return State{}, ErrNotHolder
	}
	_, err := s.mutate(ctx, rules, m)
	var y *yieldedError
	if errors.As(err, &y) {
		if err = s.awaitApplied(ctx, key, y.rev); errors.Is(err, errNotApplied) {
			rules.answered = nil
			_, err = s.mutate(ctx, rules, m)
		}
	}
	if err != nil && asked != nil && s.withdraw(ctx, key, id, *asked) && !errors.Is(err, ErrNotHolder) {
		return nil
	}
	return err
}

// errNotApplied reports that a release request was not applied in time.
var errNotApplied = errors.New("release request not applied")

// awaitApplied waits until the release request key, put at store revision
// rev, is deleted: applied, or dropped because its slot is no longer held.
// It fails with errNotApplied after the head wait (defaultHeadWait) or
// when the watch ends, with ctx.Err() when ctx ends.
func (s *Semaphore) awaitApplied(ctx context.Context, key string, rev int64) error {
	wctx, cancel := context.WithTimeoutCause(clientv3.WithRequireLeader(ctx), s.opts.headWait, errNotApplied)
	defer cancel()
	// From rev+1: a deletion since the request was put is replayed.
	for resp := range s.client.Watch(wctx, key, clientv3.WithRev(rev+1), clientv3.WithFilterPut()) {
		if len(resp.Events) > 0 {
			return nil
		}
		if resp.Canceled || resp.Err() != nil {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errNotApplied
}

// withdraw deletes the release request key of id for the slot h, even
// when ctx has ended, so that no later write applies it after Release
// failed. It reports whether the request was gone and the slot is no
// longer held: another write gave it back.
func (s *Semaphore) withdraw(ctx context.Context, key, id string, h Holder) bool {
	c, cancel := wctx(ctx)
	defer cancel()
	resp, err := s.client.Txn(c).
		If(clientv3.Compare(clientv3.Value(key), "=", requestValue(id, h))).
		Then(clientv3.OpDelete(key)).
		Else(clientv3.OpGet(s.key)).
		Commit()
	if err != nil || resp.Succeeded {
		return false
	}
	st, corrupt := s.decodeKV(resp.Responses[0].GetResponseRange().Kvs)
	if corrupt != nil {
		return false
	}
	now, ok := st.Holder(id)
	return !ok || formatAt(now.AcquiredAt) != formatAt(h.AcquiredAt)
}

// releaseRequest asks that whoever writes the value next give back the
// slot of id taken at the time at (formatted by formatAt). Its key is
// releasesPrefix(key)+<random>, one per Release call, and its value
// "<id> <at>" (ids contain no white space).
type releaseRequest struct {
	key, id, at string
}

// requestValue is the value of a release request for the slot h of id.
func requestValue(id string, h Holder) string { return id + " " + formatAt(h.AcquiredAt) }

// releasesPrefix returns the prefix of the release request keys of the
// semaphore in key.
func releasesPrefix(key string) string { return key + "/releases/" }

// releasesOp reads the pending release requests, oldest first.
func (s *Semaphore) releasesOp() clientv3.Op {
	return clientv3.OpGet(releasesPrefix(s.key), clientv3.WithPrefix(), clientv3.WithLimit(maxReleases),
		clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
}

// parseRequest parses a release request key; a value that is not "<id>
// <at>" yields a request that matches no slot, dropped by the next write.
func parseRequest(kv *mvccpb.KeyValue) releaseRequest {
	id, at, _ := strings.Cut(string(kv.Value), " ")
	return releaseRequest{key: string(kv.Key), id: id, at: at}
}

// parseReleases parses the result of releasesOp.
func parseReleases(kvs []*mvccpb.KeyValue) []releaseRequest {
	var reqs []releaseRequest
	for _, kv := range kvs {
		reqs = append(reqs, parseRequest(kv))
	}
	return reqs
}

// applyReleases returns st without the holders whose slot a request of
// reqs asks to give back, the comparisons that the write must make (each
// request applied is still there, not withdrawn by a Release that gave
// up) and the operations that delete every request of reqs: a request
// whose slot is no longer held (given back, removed, or taken again since)
// is stale and dropped.
func applyReleases(st State, reqs []releaseRequest) (State, []clientv3.Cmp, []clientv3.Op) {
	var cmps []clientv3.Cmp
	var dels []clientv3.Op
	for _, r := range reqs {
		if h, ok := st.Holder(r.id); ok && formatAt(h.AcquiredAt) == r.at {
			st = st.Without(r.id)
			cmps = append(cmps, clientv3.Compare(clientv3.Value(r.key), "=", requestValue(r.id, h)))
		}
		dels = append(dels, clientv3.OpDelete(r.key))
	}
	return st, cmps, dels
}

// formatAt formats the time a slot was taken for release requests and
// waiter keys: RFC 3339 in UTC with nanoseconds, "" for the zero time.
func formatAt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
