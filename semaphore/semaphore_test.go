package semaphore

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/reqcount"
)

func TestKeyNames(t *testing.T) {
	for group, want := range map[string]string{
		DefaultGroup: "coreos.com/updateengine/rebootlock/semaphore",
		"web":        "coreos.com/updateengine/rebootlock/groups/web/semaphore",
		"a b/c&d":    "coreos.com/updateengine/rebootlock/groups/a+b%2Fc%26d/semaphore",
	} {
		if got := Key(group); got != want {
			t.Errorf("Key(%q) = %q, want %q", group, got, want)
		}
	}
}

func TestWritesUseExactlyTheLocksmithKeys(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	for _, group := range []string{DefaultGroup, "a b/c"} {
		if err := newT(t, c, group).TryAcquire(ctx, Holder{ID: "m1"}); err != nil {
			t.Fatalf("group %q: %v", group, err)
		}
	}
	want := []string{
		"coreos.com/updateengine/rebootlock/groups/a+b%2Fc/semaphore",
		"coreos.com/updateengine/rebootlock/semaphore",
	}
	if got := allKeys(t, c); !slices.Equal(got, want) {
		t.Fatalf("keys in etcd = %q, want %q", got, want)
	}
}

func TestGetAbsentKeyReadsAsMaxOneAndWritesNothing(t *testing.T) {
	_, c := etcdT(t)
	s := newT(t, c, DefaultGroup)
	st, err := s.Get(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.Max != 1 || len(st.Holders) != 0 || st.Revision != 0 || st.Free() != 1 || st.LastRemoval != nil {
		t.Fatalf("absent key reads as %+v, want Max 1, no holders, Revision 0", st)
	}
	noKeys(t, c, "Get")
}

func TestTryAcquireReleaseAndErrors(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	at := time.Date(2026, 3, 1, 4, 5, 6, 0, time.UTC)
	s := newT(t, c, DefaultGroup, WithClock(func() time.Time { return at }))

	if err := s.TryAcquire(ctx, Holder{ID: "a", Hostname: "host-a", BootID: "boot-a", Reason: "reboot"}); err != nil {
		t.Fatalf("first TryAcquire: %v", err)
	}
	if err := s.TryAcquire(ctx, Holder{ID: "a", Reason: "again"}); err != nil {
		t.Fatalf("TryAcquire by the holder is not idempotent: %v", err)
	}
	if err := s.Acquire(ctx, Holder{ID: "a", Reason: "again"}); err != nil {
		t.Fatalf("Acquire by the holder is not idempotent: %v", err)
	}
	err := s.TryAcquire(ctx, Holder{ID: "b"})
	if !errors.Is(err, ErrFull) {
		t.Fatalf("TryAcquire on a full semaphore: %v, want ErrFull", err)
	}
	if !strings.Contains(err.Error(), s.Key()) {
		t.Errorf("error %q does not name the key", err)
	}
	st, err := s.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Holder{ID: "a", AcquiredAt: at, Hostname: "host-a", BootID: "boot-a", Reason: "reboot"}
	if got, ok := st.Holder("a"); !ok || got != want || len(st.Holders) != 1 {
		t.Fatalf("holders = %+v, want only %+v (idempotent calls keep the facts)", st.Holders, want)
	}
	if _, ok := st.Holder("b"); ok {
		t.Fatal("Holder(b) found")
	}
	raw, _ := rawGet(t, c, s.Key())
	wantRaw := `{"semaphore":0,"max":1,"holders":["a"],"details":{"holders":{"a":{"acquired_at":"2026-03-01T04:05:06Z","hostname":"host-a","boot_id":"boot-a","reason":"reboot"}}}}`
	if string(raw) != wantRaw {
		t.Fatalf("stored value\n%s\nwant\n%s", raw, wantRaw)
	}

	if err := s.Release(ctx, "b"); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("Release of a non-holder: %v, want ErrNotHolder", err)
	}
	if err := s.Release(ctx, "a"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := s.Release(ctx, "a"); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("second Release: %v, want ErrNotHolder", err)
	}
	raw, _ = rawGet(t, c, s.Key())
	if string(raw) != `{"semaphore":1,"max":1,"holders":[]}` {
		t.Fatalf("stored value after release: %s", raw)
	}
}

func TestInvalidArguments(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	s := newT(t, c, DefaultGroup)
	for _, id := range []string{"", "a b", "a\tb", "a\n"} {
		if err := s.TryAcquire(ctx, Holder{ID: id}); !errors.Is(err, ErrInvalidID) {
			t.Errorf("TryAcquire(%q): %v, want ErrInvalidID", id, err)
		}
		if err := s.Acquire(ctx, Holder{ID: id}); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Acquire(%q): %v, want ErrInvalidID", id, err)
		}
		if err := s.Release(ctx, id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Release(%q): %v, want ErrInvalidID", id, err)
		}
	}
	if _, err := s.SetMax(ctx, -1); !errors.Is(err, ErrInvalidMax) {
		t.Errorf("SetMax(-1): %v, want ErrInvalidMax", err)
	}
	if _, err := s.Repair(ctx, -1); !errors.Is(err, ErrInvalidMax) {
		t.Errorf("Repair(-1): %v, want ErrInvalidMax", err)
	}
	noKeys(t, c, "invalid calls")
}

func TestSetMax(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	s := newT(t, c, DefaultGroup)
	old, err := s.SetMax(ctx, 1)
	if err != nil || old != 1 {
		t.Fatalf("SetMax on an absent key = %d, %v; want 1, nil", old, err)
	}
	if raw, _ := rawGet(t, c, s.Key()); string(raw) != `{"semaphore":1,"max":1,"holders":[]}` {
		t.Fatalf("SetMax did not create the key: %s", raw)
	}
	if old, err = s.SetMax(ctx, 3); err != nil || old != 1 {
		t.Fatalf("SetMax(3) = %d, %v; want 1, nil", old, err)
	}
	_, rev := rawGet(t, c, s.Key())
	if old, err = s.SetMax(ctx, 3); err != nil || old != 3 {
		t.Fatalf("SetMax(3) again = %d, %v; want 3, nil", old, err)
	}
	if _, again := rawGet(t, c, s.Key()); again != rev {
		t.Fatalf("SetMax to the same max wrote (revision %d -> %d)", rev, again)
	}
}

func TestGroupsAreIndependent(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	def, web := newT(t, c, DefaultGroup), newT(t, c, "web")
	if _, err := web.SetMax(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := def.TryAcquire(ctx, Holder{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := def.TryAcquire(ctx, Holder{ID: "b"}); !errors.Is(err, ErrFull) {
		t.Fatalf("default group: %v, want ErrFull", err)
	}
	for _, id := range []string{"a", "b"} {
		if err := web.TryAcquire(ctx, Holder{ID: id}); err != nil {
			t.Fatalf("group web, %s: %v", id, err)
		}
	}
	if err := def.Release(ctx, "b"); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("release in the default group of a web holder: %v, want ErrNotHolder", err)
	}
	blocked := queueT(ctx, t, def, def, "c")
	if ids, err := web.Waiters(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("web waiters = %q, %v; want none", ids, err)
	}
	if err := web.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := def.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := result(t, blocked); err != nil {
		t.Fatalf("default group waiter: %v", err)
	}
	for s, want := range map[*Semaphore][]string{def: {"c"}, web: {"b"}} {
		st, err := s.Get(ctx)
		if err != nil || !slices.Equal(holderIDs(st), want) {
			t.Fatalf("%s holders = %q, %v; want %q", s.Key(), holderIDs(st), err, want)
		}
	}
}

func TestLegacyValues(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newT(t, c, DefaultGroup, WithClock(func() time.Time { return at }))
	for _, tc := range []struct {
		name, value string
		max         int
		holders     []string
	}{
		{"holders null", `{"semaphore":1,"max":1,"holders":null}`, 1, []string{}},
		{"stale semaphore", `{"semaphore":0,"max":3,"holders":["b","a"]}`, 3, []string{"a", "b"}},
		{"negative semaphore", `{"semaphore":-1,"max":1,"holders":["a","b"]}`, 1, []string{"a", "b"}},
		{"no semaphore", `{"max":2,"holders":["a"]}`, 2, []string{"a"}},
		{"facts of gone holders", `{"semaphore":1,"max":2,"holders":["a"],"details":{"holders":{"z":{"hostname":"z"}}}}`, 2, []string{"a"}},
		{"unknown fields", `{"semaphore":1,"max":2,"holders":["a"],"other":{"x":1}}`, 2, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rawPut(t, c, s.Key(), tc.value)
			st, err := s.Get(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Max != tc.max || !slices.Equal(holderIDs(st), tc.holders) {
				t.Fatalf("read max %d holders %q, want %d %q", st.Max, holderIDs(st), tc.max, tc.holders)
			}
			for _, h := range st.Holders {
				if h != (Holder{ID: h.ID}) {
					t.Errorf("holder %+v has facts it was never given", h)
				}
			}
		})
	}

	// A write keeps old tools working: sorted ids, derived free count.
	rawPut(t, c, s.Key(), `{"semaphore":0,"max":2,"holders":["c"]}`)
	if err := s.TryAcquire(ctx, Holder{ID: "b"}); err != nil {
		t.Fatalf("TryAcquire with a stale free count of 0: %v", err)
	}
	raw, _ := rawGet(t, c, s.Key())
	var old struct {
		Semaphore int      `json:"semaphore"`
		Max       int      `json:"max"`
		Holders   []string `json:"holders"`
	}
	if err := json.Unmarshal(raw, &old); err != nil {
		t.Fatal(err)
	}
	if old.Semaphore != 0 || old.Max != 2 || !slices.Equal(old.Holders, []string{"b", "c"}) {
		t.Fatalf("old tools read %+v from %s", old, raw)
	}
	st, err := s.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := st.Holder("b"); !b.AcquiredAt.Equal(at) {
		t.Errorf("new holder facts: %+v", b)
	}
	if c, _ := st.Holder("c"); c != (Holder{ID: "c"}) {
		t.Errorf("legacy holder gained facts: %+v", c)
	}
}

func TestCorruptValues(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	s := newT(t, c, "g")
	for _, tc := range []struct{ name, value, problem string }{
		{"not JSON", `{"max":`, "not valid semaphore JSON"},
		{"not an object", `[1,2]`, "not valid semaphore JSON"},
		{"holders not strings", `{"max":1,"holders":[1]}`, "not valid semaphore JSON"},
		{"max missing", `{"semaphore":1,"holders":[]}`, "max is missing"},
		{"negative max", `{"semaphore":-1,"max":-1,"holders":[]}`, "max is negative (-1)"},
		{"duplicate holder", `{"semaphore":-1,"max":1,"holders":["a","b","a"]}`, `holder "a" appears twice`},
		{"empty holder", `{"semaphore":0,"max":1,"holders":[""]}`, "a holder id is empty"},
		{"details of the wrong type", `{"semaphore":0,"max":1,"holders":[],"details":[]}`, "not valid semaphore JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rawPut(t, c, s.Key(), tc.value)
			_, rev := rawGet(t, c, s.Key())
			_, err := s.Get(ctx)
			var ce *CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Get: %v, want a *CorruptError", err)
			}
			if ce.Key != s.Key() || !strings.Contains(ce.Problem, tc.problem) || string(ce.Value) != tc.value {
				t.Fatalf("CorruptError %+v, want key %s, problem %q, the value", ce, s.Key(), tc.problem)
			}
			if msg := err.Error(); !strings.Contains(msg, s.Key()) || !strings.Contains(msg, tc.problem) {
				t.Fatalf("error %q does not name key and problem", msg)
			}
			calls := map[string]func() error{
				"Acquire":    func() error { return s.Acquire(ctx, Holder{ID: "x"}) },
				"TryAcquire": func() error { return s.TryAcquire(ctx, Holder{ID: "x"}) },
				"Release":    func() error { return s.Release(ctx, "a") },
				"SetMax":     func() error { _, err := s.SetMax(ctx, 5); return err },
				"RemoveStale": func() error {
					_, err := s.RemoveStale(ctx, time.Nanosecond, "ops", "test")
					return err
				},
			}
			for name, call := range calls {
				if err := call(); !errors.Is(err, ErrCorrupt) {
					t.Errorf("%s: %v, want ErrCorrupt", name, err)
				}
			}
			if raw, now := rawGet(t, c, s.Key()); now != rev || string(raw) != tc.value {
				t.Fatalf("corrupt value overwritten: %s (revision %d -> %d)", raw, rev, now)
			}
			if ids, err := s.Waiters(ctx); err != nil || len(ids) != 0 {
				t.Fatalf("waiters left behind: %q, %v", ids, err)
			}
		})
	}
}

func TestRepair(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	s := newT(t, c, DefaultGroup)
	if _, err := s.Repair(ctx, 2); !errors.Is(err, ErrNotCorrupt) {
		t.Fatalf("Repair of an absent key: %v, want ErrNotCorrupt", err)
	}
	noKeys(t, c, "Repair of an absent key")
	for _, tc := range []struct {
		name, value string
		holders     []Holder
	}{
		{"not JSON", `garbage`, []Holder{}},
		{"negative max keeps holders", `{"max":-2,"holders":["b","a"]}`, []Holder{{ID: "a"}, {ID: "b"}}},
		{"duplicates and empty ids", `{"max":3,"holders":["a","","a"],"details":{"holders":{"a":{"hostname":"ha"}}}}`, []Holder{{ID: "a", Hostname: "ha"}}},
		{"unreadable details", `{"max":-1,"holders":["a"],"details":7}`, []Holder{{ID: "a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rawPut(t, c, s.Key(), tc.value)
			st, err := s.Repair(ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx)
			if err != nil {
				t.Fatalf("value still unreadable after Repair: %v", err)
			}
			if got.Max != 2 || !slices.Equal(got.Holders, tc.holders) || got.Revision != st.Revision {
				t.Fatalf("after Repair: %+v (Repair returned %+v), want max 2 holders %+v", got, st, tc.holders)
			}
		})
	}
	_, rev := rawGet(t, c, s.Key())
	if _, err := s.Repair(ctx, 1); !errors.Is(err, ErrNotCorrupt) {
		t.Fatalf("Repair of a valid value: %v, want ErrNotCorrupt", err)
	}
	if _, now := rawGet(t, c, s.Key()); now != rev {
		t.Fatal("Repair of a valid value wrote")
	}
}

func TestForeignWriteBetweenReadAndWriteIsRetried(t *testing.T) {
	srv, c := etcdT(t)
	ctx := ctxT(t)
	var rc reqcount.Counter
	s := newT(t, countingClient(t, srv, &rc), DefaultGroup)
	if _, err := s.SetMax(ctx, 3); err != nil {
		t.Fatal(err)
	}
	// s has read and written the key; now another tool changes it.
	rawPut(t, c, s.Key(), `{"semaphore":2,"max":3,"holders":["x"]}`)
	before := rc.Counts()
	if err := s.TryAcquire(ctx, Holder{ID: "a"}); err != nil {
		t.Fatalf("TryAcquire after a foreign write: %v", err)
	}
	if n := rc.Counts().Sub(before).Unary; n != 2 {
		t.Errorf("TryAcquire took %d requests, want 2 (a failed compare-and-swap, then a successful one)", n)
	}
	rawPut(t, c, s.Key(), `{"semaphore":1,"max":3,"holders":["a","x","y"]}`)
	if err := s.Release(ctx, "x"); err != nil {
		t.Fatalf("Release after a foreign write: %v", err)
	}
	st, err := s.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := holderIDs(st); !slices.Equal(got, []string{"a", "y"}) {
		t.Fatalf("holders %q: a foreign write was lost", got)
	}
}

func TestUncontendedUpdatesTakeOneRequest(t *testing.T) {
	srv, _ := etcdT(t)
	ctx := ctxT(t)
	var rc reqcount.Counter
	s := newT(t, countingClient(t, srv, &rc), DefaultGroup)
	for _, step := range []struct {
		name string
		call func() error
	}{
		{"TryAcquire creating the key", func() error { return s.TryAcquire(ctx, Holder{ID: "a"}) }},
		{"Release", func() error { return s.Release(ctx, "a") }},
		{"Acquire", func() error { return s.Acquire(ctx, Holder{ID: "a"}) }},
		{"SetMax", func() error { _, err := s.SetMax(ctx, 2); return err }},
	} {
		before := rc.Counts()
		if err := step.call(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if n := rc.Counts().Sub(before).Requests(); n != 1 {
			t.Errorf("%s sent %d requests, want 1", step.name, n)
		}
	}
}

func TestRemoveStale(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	now := t0
	s := newT(t, c, DefaultGroup, WithClock(func() time.Time { return now }))
	if _, err := s.SetMax(ctx, 5); err != nil {
		t.Fatal(err)
	}
	// b is the oldest, then a and c (a tie, the smaller id goes first).
	for id, at := range map[string]time.Time{"a": t0.Add(time.Minute), "b": t0, "c": t0.Add(time.Minute)} {
		if err := s.TryAcquire(ctx, Holder{ID: id, AcquiredAt: at, Hostname: "host-" + id}); err != nil {
			t.Fatal(err)
		}
	}
	// d was taken by old locksmith: unknown age.
	raw, _ := rawGet(t, c, s.Key())
	rawPut(t, c, s.Key(), strings.Replace(string(raw), `"holders":["a","b","c"]`, `"holders":["a","b","c","d"]`, 1))

	now = t0.Add(10 * time.Minute)
	if _, err := s.RemoveStale(ctx, 10*time.Minute, "ops", "too young"); !errors.Is(err, ErrNoStaleHolder) {
		t.Fatalf("RemoveStale with no holder older than 10m: %v, want ErrNoStaleHolder", err)
	}
	for i, want := range []string{"b", "a", "c"} {
		reason := "dead node " + want
		got, err := s.RemoveStale(ctx, 5*time.Minute, "ops", reason)
		if err != nil {
			t.Fatalf("RemoveStale #%d: %v", i, err)
		}
		if got.ID != want || got.Hostname != "host-"+want {
			t.Fatalf("RemoveStale #%d removed %+v, want %s", i, got, want)
		}
		st, err := s.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := st.Holder(want); ok || len(st.Holders) != 3-i {
			t.Fatalf("after removing %s holders are %q (one removal per call)", want, holderIDs(st))
		}
		r := st.LastRemoval
		if r == nil || r.Holder != got || r.By != "ops" || r.Reason != reason || !r.At.Equal(now) {
			t.Fatalf("removal record %+v, want %+v by ops, %q at %s", r, got, reason, now)
		}
	}
	_, err := s.RemoveStale(ctx, time.Nanosecond, "ops", "any")
	if !errors.Is(err, ErrNoStaleHolder) || !strings.Contains(err.Error(), "1 of unknown age") {
		t.Fatalf("RemoveStale with only a holder of unknown age: %v, want ErrNoStaleHolder naming it", err)
	}
	if err := s.Release(ctx, "d"); err != nil {
		t.Fatalf("Release of the holder of unknown age: %v", err)
	}
	st, err := s.Get(ctx)
	if err != nil || st.LastRemoval == nil || st.LastRemoval.Holder.ID != "c" {
		t.Fatalf("the removal record did not survive a later write: %+v, %v", st.LastRemoval, err)
	}
}

func TestRemoveStaleRejectsInvalidArguments(t *testing.T) {
	_, c := etcdT(t)
	ctx := ctxT(t)
	s := heldT(t, c, "a") // a holder that has just taken its slot
	before, rev := rawGet(t, c, s.Key())
	for _, tc := range []struct {
		maxAge time.Duration
		by     string
	}{{-time.Hour, ""}, {-time.Hour, "ops"}, {0, "ops"}, {time.Hour, ""}, {time.Hour, " \t"}} {
		h, err := s.RemoveStale(ctx, tc.maxAge, tc.by, "")
		if !errors.Is(err, ErrInvalidArgument) || h != (Holder{}) {
			t.Errorf("RemoveStale(%s, %q) = %+v, %v; want ErrInvalidArgument", tc.maxAge, tc.by, h, err)
		}
	}
	if after, now := rawGet(t, c, s.Key()); now != rev || string(after) != string(before) {
		t.Fatalf("invalid RemoveStale calls wrote %s (revision %d, was %d)", after, now, rev)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 1, 1, 1, 1, 5, time.FixedZone("X", 3600))
	st := State{Max: 1, Holders: []Holder{
		{ID: "a", AcquiredAt: at, Hostname: "h", BootID: "b", Reason: "r"},
		{ID: "b"},
	}, LastRemoval: &Removal{Holder: Holder{ID: "z", Reason: "r"}, By: "ops", Reason: "dead", At: at}}
	raw, err := encodeValue(st)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`"semaphore":-1`)) {
		t.Errorf("free count in %s, want -1 (max 1, 2 holders)", raw)
	}
	got, err := decodeValue("k", raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Max != 1 || len(got.Holders) != 2 || !got.Holders[0].AcquiredAt.Equal(at) || got.Holders[1] != st.Holders[1] ||
		got.LastRemoval.Holder.ID != "z" || got.LastRemoval.By != "ops" || !got.LastRemoval.At.Equal(at) {
		t.Fatalf("round trip of %+v gave %+v", st, got)
	}
	if got.Free() != 0 {
		t.Errorf("Free() = %d with more holders than slots, want 0", got.Free())
	}
}
