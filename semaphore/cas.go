package semaphore

import (
	"context"
	"errors"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// snapshot is what a Semaphore knows about its key and its queue.
type snapshot struct {
	// state is the decoded value, Revision set; Max 1 and Revision 0 when
	// the key is absent. Only Revision is meaningful when corrupt is set.
	state   State
	corrupt *CorruptError
	seen    int64 // store revision at which state was known
	// waiters is the number of waiter keys at store revision queueRev.
	// queueRev 0 and waiters 0 claim an empty queue, which the queue
	// guard verifies.
	queueRev int64
	waiters  int64
	releases []releaseRequest // pending release requests, as read with the value
	fresh    bool             // read from etcd during the current call
}

// valid returns the state, or the *CorruptError when the value is corrupt.
func (sn snapshot) valid() (State, error) {
	if sn.corrupt != nil {
		return State{}, sn.corrupt
	}
	return sn.state, nil
}

// Errors that end a write without writing.
var (
	errNoWrite = errors.New("no write needed")         // success: nothing to change
	errRaced   = errors.New("lost a compare-and-swap") // a newcomer that lost a race queues instead
)

// mutation computes the new state from what is known. It returns
// errNoWrite to end without writing, or another error to fail.
type mutation func(sn snapshot) (State, error)

// writeRules tell mutate how to write.
type writeRules struct {
	// guardQueue makes the write also require that no waiter key was
	// created since the queue was counted.
	guardQueue bool
	// yield ends the write with errRaced when it loses a race, instead of
	// backing off and trying again.
	yield bool
	// ask, when set, returns an operation sent with the reads that answer
	// a conflict (Release puts its release request there).
	ask func(sn snapshot) clientv3.Op
	// answered, when set, is told what a conflict read, and whether a
	// waiter is queued (the last-waiter key exists); an error ends the
	// write with it.
	answered func(sn snapshot, queued bool) error
	// unsure, when set, makes a write whose outcome is unknown (it timed out, or etcd was
	// unavailable; see retryable) no error, up to requestTries times: unsure is called, the
	// value is read again and the mutation runs on it, so that a mutation whose result shows in
	// the value (a holder added or gone, a max set) does not write twice. Without it, the error
	// goes to the caller.
	unsure func()
}

// yieldedError ends a Release whose request the head of the queue is to
// apply; rev is the store revision at which the request was put.
type yieldedError struct{ rev int64 }

func (e *yieldedError) Error() string {
	return fmt.Sprintf("release request put at revision %d, left to the head of the queue", e.rev)
}

// mutate applies m to the semaphore with a compare-and-swap, starting from
// the last value seen; the write also applies the pending release requests
// read with the value (see applyReleases). A conflict (the else branch of
// the transaction reads the key back) or a refusal based on a value not
// read during this call re-runs m on fresh data: at once when the value
// tried was not read during this call, since that is no race; when it
// was, after a jittered back-off (see backOff) and one more read, so that
// writers that collided do not collide again. It returns the state
// written, or the state read when m returned errNoWrite.
func (s *Semaphore) mutate(ctx context.Context, rules writeRules, m mutation) (State, error) {
	sn := s.remembered()
	for races, unknown := 0, 0; ; {
		next, err := m(sn)
		switch {
		case err != nil && !sn.fresh:
			if sn, err = s.read(ctx, rules.guardQueue); err != nil {
				return State{}, err
			}
			continue
		case errors.Is(err, errNoWrite):
			return sn.state.Clone(), nil
		case err != nil:
			return State{}, err
		}
		next, relCmps, dels := applyReleases(next, sn.releases)
		val, err := encodeValue(next)
		if err != nil {
			return State{}, err
		}
		if err := ctx.Err(); err != nil {
			return State{}, err
		}
		cmps := append([]clientv3.Cmp{s.keyIs(sn.state.Revision)}, relCmps...)
		if rules.guardQueue {
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(s.queue), "<", sn.queueRev+1).WithPrefix())
		}
		// The else branch: the request asked for first, so that the
		// reads see it, then the reads, then whether a waiter is queued.
		var reads []clientv3.Op
		if rules.ask != nil {
			reads = append(reads, rules.ask(sn))
		}
		readsAt := len(reads)
		reads = append(reads, s.readOps(rules.guardQueue)...)
		queuedAt := len(reads)
		if rules.answered != nil {
			reads = append(reads, clientv3.OpGet(s.last, clientv3.WithCountOnly()))
		}
		c, cancel := wctx(ctx)
		resp, err := s.client.Txn(c).If(cmps...).Then(append([]clientv3.Op{clientv3.OpPut(s.key, string(val))}, dels...)...).Else(reads...).Commit()
		cancel()
		if err != nil {
			if unknown++; rules.unsure == nil || unknown == requestTries || !retryable(ctx, err) {
				return State{}, err
			}
			rules.unsure()
			if sn, err = s.read(ctx, rules.guardQueue); err != nil {
				return State{}, err
			}
			continue
		}
		if resp.Succeeded {
			next.Revision = resp.Header.Revision
			s.remember(snapshot{state: next, seen: next.Revision, queueRev: sn.queueRev, waiters: sn.waiters})
			return next.Clone(), nil
		}
		raced := sn.fresh
		sn = s.snapshotFrom(resp.Header.Revision, resp.Responses[readsAt:], rules.guardQueue)
		if rules.answered != nil {
			if err := rules.answered(sn, resp.Responses[queuedAt].GetResponseRange().Count > 0); err != nil {
				return State{}, err
			}
		}
		if !raced {
			continue
		}
		races++
		if rules.yield {
			return State{}, errRaced
		}
		if err := s.backOff(ctx, races); err != nil {
			return State{}, err
		}
		// The value read before the back-off is likely stale by now.
		if sn, err = s.read(ctx, rules.guardQueue); err != nil {
			return State{}, err
		}
	}
}

// read reads the key and the release requests, and counts the queue if
// asked to, in one request.
func (s *Semaphore) read(ctx context.Context, count bool) (snapshot, error) {
	resp, err := s.commit(ctx, nil, s.readOps(count), nil)
	if err != nil {
		return snapshot{}, err
	}
	return s.snapshotFrom(resp.Header.Revision, resp.Responses, count), nil
}

// readOps read the key and the release requests, and count the waiter
// keys if asked to (etcd walks its whole index of the queue to count it;
// only newcomers need the count); snapshotFrom parses their responses.
func (s *Semaphore) readOps(count bool) []clientv3.Op {
	ops := []clientv3.Op{clientv3.OpGet(s.key), s.releasesOp()}
	if count {
		ops = append(ops, clientv3.OpGet(s.queue, clientv3.WithPrefix(), clientv3.WithCountOnly()))
	}
	return ops
}

// snapshotFrom parses the responses of readOps(count) at store revision
// rev and remembers the result. Without a count, the snapshot claims an
// empty queue, which the queue guard verifies.
func (s *Semaphore) snapshotFrom(rev int64, resps []*pb.ResponseOp, count bool) snapshot {
	sn := snapshot{seen: rev, fresh: true, releases: parseReleases(resps[1].GetResponseRange().Kvs)}
	if count {
		sn.queueRev, sn.waiters = rev, resps[2].GetResponseRange().Count
	}
	sn.state, sn.corrupt = s.decodeKV(resps[0].GetResponseRange().Kvs)
	s.remember(sn)
	return sn
}

// decodeKV decodes the key's value from a range result (or a watch
// event's kv); no kv means the key is absent.
func (s *Semaphore) decodeKV(kvs []*mvccpb.KeyValue) (State, *CorruptError) {
	if len(kvs) == 0 {
		return State{Max: 1}, nil
	}
	st, err := decodeValue(s.key, kvs[0].Value)
	st.Revision = kvs[0].ModRevision
	var ce *CorruptError
	errors.As(err, &ce)
	return st, ce
}

// keyIs compares the key with the revision seen: its mod_revision, or
// version 0 when it was absent (revision 0).
func (s *Semaphore) keyIs(rev int64) clientv3.Cmp {
	if rev == 0 {
		return clientv3.Compare(clientv3.Version(s.key), "=", 0)
	}
	return clientv3.Compare(clientv3.ModRevision(s.key), "=", rev)
}

// remembered returns the last snapshot seen, or an absent key and an empty
// queue (to be verified by the first write) when nothing was seen yet.
func (s *Semaphore) remembered() snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached == nil {
		return snapshot{state: State{Max: 1}}
	}
	sn := *s.cached
	sn.fresh = false
	return sn
}

// remember records sn as the last value seen unless a newer one is known.
func (s *Semaphore) remember(sn snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached == nil || s.cached.seen <= sn.seen {
		s.cached = &sn
	}
}
