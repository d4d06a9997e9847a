package semaphore

import (
	"context"
	"errors"
	"fmt"
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
		return fmt.Errorf("release %s for %q: %w", s.key, id, err)
	}
	return nil
}

// release is Release without the error context.
func (s *Semaphore) release(ctx context.Context, id string) error {
	var asked *Holder // the slot of the last release request sent
	pending := false  // a request was sent for a slot held in a value read during this call
	_, err := s.mutate(ctx, writeRules{ask: func(sn snapshot) clientv3.Op {
		h, _ := sn.state.Holder(id)
		asked, pending = &h, pending || sn.fresh
		return clientv3.OpPut(s.releaseKey(id), formatAt(h.AcquiredAt))
	}}, func(sn snapshot) (State, error) {
		st, err := sn.valid()
		if err != nil {
			return State{}, err
		}
		if _, ok := st.Holder(id); ok {
			return st.withoutHolder(id), nil
		}
		if pending {
			return State{}, errNoWrite // another write applied the request
		}
		return State{}, ErrNotHolder
	})
	if err != nil && asked != nil && s.withdraw(ctx, id, *asked) && !errors.Is(err, ErrNotHolder) {
		return nil
	}
	return err
}

// withdraw deletes the release request of id for the slot h, even when
// ctx has ended, so that no later write applies it after Release failed.
// It reports whether the request was gone and the slot is no longer held:
// another write gave it back.
func (s *Semaphore) withdraw(ctx context.Context, id string, h Holder) bool {
	c, cancel := wctx(ctx)
	defer cancel()
	key := s.releaseKey(id)
	resp, err := s.client.Txn(c).
		If(clientv3.Compare(clientv3.Value(key), "=", formatAt(h.AcquiredAt))).
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
// slot of id taken at the time at (formatted by formatAt).
type releaseRequest struct {
	key, id, at string
}

// releasesPrefix returns the prefix of the release request keys of the
// semaphore in key; the request of id is releasesPrefix(key)+id.
func releasesPrefix(key string) string { return key + "/releases/" }

func (s *Semaphore) releaseKey(id string) string { return releasesPrefix(s.key) + id }

// releasesOp reads the pending release requests, oldest first.
func (s *Semaphore) releasesOp() clientv3.Op {
	return clientv3.OpGet(releasesPrefix(s.key), clientv3.WithPrefix(), clientv3.WithLimit(maxReleases),
		clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
}

// parseReleases parses the result of releasesOp.
func (s *Semaphore) parseReleases(kvs []*mvccpb.KeyValue) []releaseRequest {
	var reqs []releaseRequest
	for _, kv := range kvs {
		key := string(kv.Key)
		reqs = append(reqs, releaseRequest{key: key, id: strings.TrimPrefix(key, releasesPrefix(s.key)), at: string(kv.Value)})
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
			st = st.withoutHolder(r.id)
			cmps = append(cmps, clientv3.Compare(clientv3.Value(r.key), "=", r.at))
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
