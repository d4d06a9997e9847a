package silence_test

import (
	"errors"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/amtest"
	"locksmith.dev/locksmith/silence"
)

// A node's silence is created in a real Alertmanager, found again by its creator after the
// reboot, and expired; another creator's silence is left alone.
func TestCreateAndExpireMine(t *testing.T) {
	url := amtest.StartT(t)
	ctx := t.Context()
	mine := silence.Client{URL: url, CreatedBy: "locksmithd web-1"}
	other := silence.Client{URL: url, CreatedBy: "someone else"}
	id, err := mine.Create(ctx, silence.InstanceMatchers("web-1.example"), 30*time.Minute, "planned reboot")
	if err != nil || id == "" {
		t.Fatalf("Create = %q, %v", id, err)
	}
	if _, err := other.Create(ctx, []silence.Matcher{{Name: "job", Value: "db", IsEqual: true}}, time.Hour, "x"); err != nil {
		t.Fatal(err)
	}
	all, err := mine.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range all {
		if s.ID == id {
			found = true
			if s.Status.State != "active" || len(s.Matchers) != 1 || s.Matchers[0].Value != `web-1\.example(:[0-9]+)?` || !s.Matchers[0].IsRegex {
				t.Errorf("silence %+v", s)
			}
		}
	}
	if !found {
		t.Fatalf("silence %s not listed: %+v", id, all)
	}
	if n, err := mine.ExpireMine(ctx); n != 1 || err != nil {
		t.Fatalf("ExpireMine = %d, %v; want 1", n, err)
	}
	if n, err := mine.ExpireMine(ctx); n != 0 || err != nil {
		t.Fatalf("ExpireMine again = %d, %v; want 0", n, err)
	}
	all, _ = mine.List(ctx)
	for _, s := range all {
		if want := map[bool]string{true: "expired", false: "active"}[s.CreatedBy == mine.CreatedBy]; s.Status.State != want {
			t.Errorf("silence of %q is %s, want %s", s.CreatedBy, s.Status.State, want)
		}
	}
	if _, err := mine.Create(ctx, []silence.Matcher{{Name: "instance", Value: "(", IsRegex: true, IsEqual: true}}, time.Hour, "x"); err == nil {
		t.Errorf("Alertmanager took a silence with a bad regular expression")
	}
}

func TestParseMatchers(t *testing.T) {
	got, err := silence.ParseMatchers(`instance=~"web-1(:[0-9]+)?", job!=node,team="a,b"`)
	if err != nil {
		t.Fatal(err)
	}
	want := []silence.Matcher{
		{Name: "instance", Value: "web-1(:[0-9]+)?", IsRegex: true, IsEqual: true},
		{Name: "job", Value: "node", IsEqual: false},
		{Name: "team", Value: "a,b", IsEqual: true},
	}
	if len(got) != len(want) {
		t.Fatalf("ParseMatchers = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("matcher %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", "instance", `instance=~"("`, `9x=1`, `a="unterminated`} {
		if _, err := silence.ParseMatchers(bad); !errors.Is(err, silence.ErrBadMatcher) {
			t.Errorf("ParseMatchers(%q) = %v, want ErrBadMatcher", bad, err)
		}
	}
}
