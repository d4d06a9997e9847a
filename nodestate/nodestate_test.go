package nodestate

import (
	"errors"
	"testing"
	"time"

	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

func TestPublishedStatesReadBack(t *testing.T) {
	client := embedetcd.StartT(t).ClientT(t)
	ctx := t.Context()
	since := time.Date(2026, 12, 3, 10, 2, 0, 0, time.UTC)
	want := State{Node: "b/1", Group: "web", State: "health-failed", Status: "checks failed", Since: since,
		Check: &Check{Command: "curl -f localhost", Error: "exit status 7", FailingSince: since, Tries: 4}}
	for _, st := range []State{{Node: "a", Group: "web", State: "idle", Since: since}, want, {Node: "c", Group: "other", State: "idle"}} {
		if err := Publish(ctx, client, st); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := Get(ctx, client, "web", "b/1")
	if err != nil || !ok || got.Check == nil || *got.Check != *want.Check || got.State != want.State || !got.Since.Equal(since) {
		t.Fatalf("Get: %+v, %v, %v; want %+v", got, ok, err, want)
	}
	if _, ok, err := Get(ctx, client, "web", "nobody"); ok || err != nil {
		t.Errorf("Get of a node that published nothing: %v, %v", ok, err)
	}
	all, bad, err := List(ctx, client, "web")
	if err != nil || len(bad) != 0 || len(all) != 2 || all[0].Node != "a" || all[1].Node != "b/1" {
		t.Errorf("List: %+v, %v, %v; want a and b/1 only", all, bad, err)
	}
}

func TestACorruptStateIsNamedAndSkipped(t *testing.T) {
	client := embedetcd.StartT(t).ClientT(t)
	ctx := t.Context()
	if _, err := client.Put(ctx, Key("", "x"), "{"); err != nil {
		t.Fatal(err)
	}
	if err := Publish(ctx, client, State{Node: "y", State: "idle"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Get(ctx, client, "", "x"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get of a corrupt value: %v, want ErrCorrupt", err)
	}
	all, bad, err := List(ctx, client, "")
	if err != nil || len(all) != 1 || len(bad) != 1 || !errors.Is(bad[0], ErrCorrupt) {
		t.Errorf("List: %+v, %v, %v; want y, and x reported", all, bad, err)
	}
}
