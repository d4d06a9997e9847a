package semaphore

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// Failures within the window count against the budget; the one that reaches it freezes the
// group (max 0, the previous max and the reason in the value), holders keep their slots, and
// Resume gives the max back and forgets the failures.
func TestFailFreezesAndResumeRestores(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	s := newT(t, c, "g", WithClock(func() time.Time { return now }))
	if _, err := s.SetMax(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.TryAcquire(ctx, Holder{ID: "b"}); err != nil {
		t.Fatal(err)
	}
	const limit, window = 2, time.Hour
	st, err := s.Fail(ctx, Failure{ID: "a", Reason: "post-reboot checks failed"}, limit, window)
	if err != nil || st.Max != 3 || st.Freeze != nil || len(st.Failures) != 1 {
		t.Fatalf("first failure: %+v, %v", st, err)
	}
	// The same node failing again replaces its failure; an old failure drops out.
	if st, err = s.Fail(ctx, Failure{ID: "a", Reason: "again"}, limit, window); err != nil || st.Freeze != nil || len(st.Failures) != 1 {
		t.Fatalf("the same node twice: %+v, %v", st, err)
	}
	now = now.Add(2 * window)
	if st, err = s.Fail(ctx, Failure{ID: "c", Reason: "host still up"}, limit, window); err != nil || st.Freeze != nil || len(st.Failures) != 1 || st.Failures[0].ID != "c" {
		t.Fatalf("after the window: %+v, %v", st, err)
	}
	st, err = s.Fail(ctx, Failure{ID: "b", Reason: "same OS version"}, limit, window)
	if err != nil {
		t.Fatal(err)
	}
	if st.Max != 0 || st.Freeze == nil || st.Freeze.PreviousMax != 3 || !st.Freeze.At.Equal(now) ||
		st.Freeze.Reason != "2 failed reboots reached --max-failures 2 (c: host still up; b: same OS version)" {
		t.Fatalf("frozen state %+v (freeze %+v)", st, st.Freeze)
	}
	if _, held := st.Holder("b"); !held {
		t.Errorf("the freeze took b's slot")
	}
	// What is stored: max 0 for old tools, the freeze in details.
	resp, err := c.Get(ctx, s.key)
	if err != nil {
		t.Fatal(err)
	}
	var stored struct {
		Max     int `json:"max"`
		Details struct {
			Freeze struct {
				PreviousMax int `json:"previous_max"`
			} `json:"freeze"`
		} `json:"details"`
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, &stored); err != nil || stored.Max != 0 || stored.Details.Freeze.PreviousMax != 3 {
		t.Errorf("stored %s (%v)", resp.Kvs[0].Value, err)
	}
	// A further failure while frozen is recorded and changes nothing else.
	if st, err = s.Fail(ctx, Failure{ID: "d", Reason: "x"}, limit, window); err != nil || st.Max != 0 || st.Freeze.PreviousMax != 3 {
		t.Fatalf("failure while frozen: %+v, %v", st, err)
	}
	if err := s.TryAcquire(ctx, Holder{ID: "e"}); !errors.Is(err, ErrFull) {
		t.Errorf("TryAcquire while frozen: %v, want ErrFull", err)
	}
	st, err = s.Resume(ctx)
	if err != nil || st.Max != 3 || st.Freeze != nil || len(st.Failures) != 0 {
		t.Fatalf("Resume: %+v, %v", st, err)
	}
	if _, err := s.Resume(ctx); !errors.Is(err, ErrNotFrozen) {
		t.Errorf("Resume when not frozen: %v, want ErrNotFrozen", err)
	}
	// SetMax is the operator's word: it ends a freeze too.
	if _, err := s.Fail(ctx, Failure{ID: "a", Reason: "x"}, 1, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMax(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Get(ctx); err != nil || st.Max != 2 || st.Freeze != nil || st.Failures != nil {
		t.Errorf("after set-max while frozen: %+v, %v", st, err)
	}
	if _, err := s.Fail(ctx, Failure{ID: "bad id", Reason: "x"}, 1, 0); !errors.Is(err, ErrInvalidID) || !strings.Contains(err.Error(), `"bad id"`) {
		t.Errorf("Fail with a bad id: %v", err)
	}
}
