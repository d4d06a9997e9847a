package semaphore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// maxFailures bounds the failures a value records; the oldest go first.
const maxFailures = 100

// Fail records that f.ID's reboot failed, counted against the group's budget of limit failures
// within window, in one compare-and-swap: failures older than window (by the Semaphore's clock;
// 0 keeps them all) are dropped, as is an earlier failure of the same node, and f is added (At
// set from the clock when zero). When limit > 0 and the failures counted reach limit, the same
// write freezes the group: Max becomes 0, which old locksmith honours too, and State.Freeze
// records the previous max and why, until Resume. A group that is frozen or paused (Max 0)
// already stays as it is. Holders keep their slots.
//
// It returns the state written, or an error wrapping ErrInvalidID, a *CorruptError, or the
// error of etcd or ctx.
func (s *Semaphore) Fail(ctx context.Context, f Failure, limit int, window time.Duration) (State, error) {
	if err := validateID(f.ID); err != nil {
		return State{}, fmt.Errorf("record the failure of %q in %s: %w", f.ID, s.key, err)
	}
	if f.At.IsZero() {
		f.At = s.opts.now()
	}
	f.At = f.At.UTC().Truncate(time.Millisecond)
	st, err := s.mutate(ctx, writeRules{unsure: func() {}}, func(sn snapshot) (State, error) {
		st, err := sn.valid()
		if err != nil {
			return State{}, err
		}
		if slices.ContainsFunc(st.Failures, func(g Failure) bool { return g.ID == f.ID && g.At.Equal(f.At) }) {
			return State{}, errNoWrite // written by a try whose outcome was unknown
		}
		since := s.opts.now().Add(-window)
		st.Failures = slices.DeleteFunc(slices.Clone(st.Failures), func(g Failure) bool {
			return g.ID == f.ID || window > 0 && g.At.Before(since)
		})
		st.Failures = append(st.Failures, f)
		if n := len(st.Failures); n > maxFailures {
			st.Failures = st.Failures[n-maxFailures:]
		}
		if limit > 0 && len(st.Failures) >= limit && st.Freeze == nil && st.Max > 0 {
			st.Freeze = &Freeze{PreviousMax: st.Max, Reason: freezeReason(st.Failures, limit), At: s.opts.now()}
			st.Max = 0
		}
		return st, nil
	})
	if err != nil {
		return State{}, s.explain(ctx, fmt.Errorf("record the failure of %q in %s: %w", f.ID, s.key, err))
	}
	return st, nil
}

// freezeReason says which failures used the budget of limit up.
func freezeReason(failures []Failure, limit int) string {
	parts := make([]string, len(failures))
	for i, f := range failures {
		parts[i] = f.ID + ": " + f.Reason
	}
	return fmt.Sprintf("%d failed reboots reached --max-failures %d (%s)", len(failures), limit, strings.Join(parts, "; "))
}

// Resume ends a freeze: Max goes back to the max before it, and the failures counted are
// forgotten, so that the budget starts afresh. It returns the state written, or an error
// wrapping ErrNotFrozen when the group is not frozen (nothing is written), a *CorruptError, or
// the error of etcd or ctx.
func (s *Semaphore) Resume(ctx context.Context) (State, error) {
	st, err := s.mutate(ctx, writeRules{}, func(sn snapshot) (State, error) {
		st, err := sn.valid()
		if err != nil {
			return State{}, err
		}
		if st.Freeze == nil {
			return State{}, ErrNotFrozen
		}
		st.Max, st.Freeze, st.Failures = st.Freeze.PreviousMax, nil, nil
		return st, nil
	})
	if err != nil {
		return State{}, s.explain(ctx, fmt.Errorf("resume %s: %w", s.key, err))
	}
	return st, nil
}
