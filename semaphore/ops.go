package semaphore

import (
	"context"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Get reads the semaphore. An absent key reads as State{Max: 1} with
// Revision 0. A corrupt value yields a *CorruptError. Get never writes.
func (s *Semaphore) Get(ctx context.Context) (State, error) {
	sn, err := s.read(ctx, false)
	if err != nil {
		return State{}, s.explain(ctx, fmt.Errorf("get %s: %w", s.key, err))
	}
	st, err := sn.valid()
	if err != nil {
		return State{}, fmt.Errorf("get %s: %w", s.key, err)
	}
	return st.Clone(), nil
}

// TryAcquire takes a slot for h without waiting. It returns nil when h.ID
// holds a slot afterwards: at once if it was a holder already (its facts
// are then left as they were), otherwise after adding h with AcquiredAt
// set from the clock when zero. It returns an error wrapping ErrFull when
// no slot is free for a newcomer: all are taken, Max is 0, or the free
// slots are promised to waiters queued by Acquire. Other errors:
// ErrInvalidID, a *CorruptError, or the error of etcd or ctx.
func (s *Semaphore) TryAcquire(ctx context.Context, h Holder) error {
	if err := s.tryAcquire(ctx, h, false); err != nil {
		return s.explain(ctx, fmt.Errorf("try acquire %s for %q: %w", s.key, h.ID, err))
	}
	return nil
}

// tryAcquire is TryAcquire without the error context. With yield, it
// returns errRaced when another write won the race for the slot (Acquire
// then queues) instead of trying again.
func (s *Semaphore) tryAcquire(ctx context.Context, h Holder, yield bool) error {
	if err := validateID(h.ID); err != nil {
		return err
	}
	_, err := s.mutate(ctx, writeRules{guardQueue: true, yield: yield, unsure: func() {}}, func(sn snapshot) (State, error) {
		st, err := sn.valid()
		if err != nil {
			return State{}, err
		}
		if _, ok := st.Holder(h.ID); ok {
			return State{}, errNoWrite
		}
		if int64(st.Free()) <= sn.waiters {
			return State{}, fmt.Errorf("%w: %d of %d slots taken, %d waiting", ErrFull, len(st.Holders), st.Max, sn.waiters)
		}
		return s.admit(st, h), nil
	})
	return err
}

// admit returns st with h added, AcquiredAt taken from the clock when zero.
func (s *Semaphore) admit(st State, h Holder) State {
	if h.AcquiredAt.IsZero() {
		h.AcquiredAt = s.opts.now()
	}
	return st.With(h)
}

// SetMax sets the number of slots and returns the previous one (1 when
// the key was absent; it is created). 0 pauses the semaphore: nobody is
// admitted until it is raised. It ends a freeze (see Fail) and forgets the failures counted, as
// the operator's word. Lowering it below the number of holders is
// legal; nobody is admitted until enough holders have left. It returns an
// error wrapping ErrInvalidMax for a negative max, a *CorruptError, or the
// error of etcd or ctx.
func (s *Semaphore) SetMax(ctx context.Context, max int) (old int, err error) {
	if max < 0 {
		return 0, fmt.Errorf("set max of %s to %d: %w", s.key, max, ErrInvalidMax)
	}
	_, err = s.mutate(ctx, writeRules{}, func(sn snapshot) (State, error) {
		st, err := sn.valid()
		if err != nil {
			return State{}, err
		}
		old = st.Max
		if st.Max == max && st.Revision != 0 && st.Freeze == nil && st.Failures == nil {
			return State{}, errNoWrite
		}
		st.Max, st.Freeze, st.Failures = max, nil, nil
		return st, nil
	})
	if err != nil {
		return 0, s.explain(ctx, fmt.Errorf("set max of %s to %d: %w", s.key, max, err))
	}
	return old, nil
}

// RemoveStale removes the one holder that has held its slot longest, if it
// has held it for more than maxAge by the Semaphore's clock, and records
// the removal (the holder, by, reason and the time) in the value, where
// State.LastRemoval shows it. Ties go to the smaller id. Holders whose
// AcquiredAt is unknown (taken by old locksmith) are never removed here,
// since nothing proves they are stale; give them back with Release. It
// returns the removed holder, or an error wrapping ErrInvalidArgument when
// maxAge is not positive or by is empty (or only white space), or
// ErrNoStaleHolder when no holder qualifies (in both cases nothing is
// written), a *CorruptError, or the error of etcd or ctx.
func (s *Semaphore) RemoveStale(ctx context.Context, maxAge time.Duration, by, reason string) (Holder, error) {
	var removed Holder
	err := validateRemoval(maxAge, by)
	if err == nil {
		removed, err = s.removeStale(ctx, maxAge, by, reason)
	}
	if err != nil {
		return Holder{}, s.explain(ctx, fmt.Errorf("remove stale holder from %s: %w", s.key, err))
	}
	return removed, nil
}

// removeStale is RemoveStale without the checks of its arguments and the
// error context.
func (s *Semaphore) removeStale(ctx context.Context, maxAge time.Duration, by, reason string) (removed Holder, err error) {
	_, err = s.mutate(ctx, writeRules{}, func(sn snapshot) (State, error) {
		st, err := sn.valid()
		if err != nil {
			return State{}, err
		}
		now := s.opts.now()
		found, unknown := false, 0
		for _, h := range st.Holders {
			switch {
			case h.AcquiredAt.IsZero():
				unknown++
			case now.Sub(h.AcquiredAt) > maxAge && (!found || h.AcquiredAt.Before(removed.AcquiredAt)):
				removed, found = h, true
			}
		}
		if !found {
			return State{}, fmt.Errorf("%w: none of %d holders has held its slot for more than %s (%d of unknown age)",
				ErrNoStaleHolder, len(st.Holders), maxAge, unknown)
		}
		st = st.Without(removed.ID)
		st.LastRemoval = &Removal{Holder: removed, By: by, Reason: reason, At: now}
		return st, nil
	})
	return removed, err
}

// validateRemoval checks the arguments of RemoveStale: a removal needs a
// positive age, lest a holder that just took its slot be removed, and
// someone to record as having removed it.
func validateRemoval(maxAge time.Duration, by string) error {
	switch {
	case maxAge <= 0:
		return fmt.Errorf("%w: the age must be positive, not %s", ErrInvalidArgument, maxAge)
	case strings.TrimSpace(by) == "":
		return fmt.Errorf("%w: who removes the holder must be given", ErrInvalidArgument)
	}
	return nil
}

// Repair is the operator's way out of a corrupt value, and the only
// operation that overwrites one: it writes a semaphore with max slots and
// the holders it can recover from the corrupt bytes (the distinct non-empty
// ids of a readable "holders" list, with their facts when readable), so
// that a repair frees no slot it can tell is taken. It returns the
// state written, or an error wrapping ErrNotCorrupt when the value is valid
// or absent (nothing is written), ErrInvalidMax for a negative max, or the
// error of etcd or ctx.
func (s *Semaphore) Repair(ctx context.Context, max int) (State, error) {
	if max < 0 {
		return State{}, fmt.Errorf("repair %s: max %d: %w", s.key, max, ErrInvalidMax)
	}
	st, err := s.mutate(ctx, writeRules{}, func(sn snapshot) (State, error) {
		if sn.corrupt == nil {
			return State{}, ErrNotCorrupt
		}
		return State{Max: max, Holders: salvageHolders(sn.corrupt.Value)}, nil
	})
	if err != nil {
		return State{}, s.explain(ctx, fmt.Errorf("repair %s: %w", s.key, err))
	}
	return st, nil
}

// RepairPreview reads the semaphore and returns the state Repair(ctx, max) would write now,
// writing nothing: an error wrapping ErrNotCorrupt when the value is valid or absent,
// ErrInvalidMax for a negative max, or the error of etcd or ctx.
func (s *Semaphore) RepairPreview(ctx context.Context, max int) (State, error) {
	if max < 0 {
		return State{}, fmt.Errorf("repair %s: max %d: %w", s.key, max, ErrInvalidMax)
	}
	sn, err := s.read(ctx, false)
	if err != nil {
		return State{}, s.explain(ctx, fmt.Errorf("repair %s: %w", s.key, err))
	}
	if sn.corrupt == nil {
		return State{}, fmt.Errorf("repair %s: %w", s.key, ErrNotCorrupt)
	}
	return State{Max: max, Holders: salvageHolders(sn.corrupt.Value)}, nil
}

// Waiters returns the holder ids queued by blocked Acquire calls, first
// come first, for status displays. An id may appear more than once when
// several calls wait for it.
func (s *Semaphore) Waiters(ctx context.Context) ([]string, error) {
	resp, err := s.get(ctx, s.queue, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
	if err != nil {
		return nil, s.explain(ctx, fmt.Errorf("list waiters of %s: %w", s.key, err))
	}
	ids := make([]string, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		ids[i] = string(kv.Value)
	}
	return ids, nil
}
