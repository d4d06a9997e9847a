package etcdlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/history"
	"locksmith.dev/locksmith/internal/testkit/embedetcd"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func event(i int, node string) history.Event {
	return history.Event{Time: t0.Add(time.Duration(i) * time.Second), Kind: history.RebootNeeded, Node: node, Reason: fmt.Sprint(i)}
}

func TestAppendKeepsTheLastLimitEventsInOrder(t *testing.T) {
	client := embedetcd.StartT(t).ClientT(t)
	ctx := t.Context()
	l := New(client, "web", 5)
	for i := 1; i <= 12; i++ {
		if err := l.Append(ctx, event(i, "a")); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	got, err := l.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 5 || len(got.Corrupt) != 0 {
		t.Fatalf("got %d events and %d corrupt, want 5 and 0", len(got.Events), len(got.Corrupt))
	}
	for i, e := range got.Events {
		if want := int64(8 + i); e.Seq != want || e.Reason != fmt.Sprint(want) || e.Group != "web" {
			t.Errorf("event %d: seq %d, reason %q, group %q; want seq and reason %d, group web", i, e.Seq, e.Reason, e.Group, want)
		}
	}
	resp, err := client.Get(ctx, Prefix("web"), clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != 6 { // 5 events and the seq key
		t.Errorf("%d keys under %s, want 6", resp.Count, Prefix("web"))
	}
}

func TestWritersThatRaceNeverShareANumber(t *testing.T) {
	client := embedetcd.StartT(t).ClientT(t)
	ctx := t.Context()
	const writers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		l := New(client, "", 100) // a log per writer: they race through etcd, not through l.mu
		wg.Go(func() {
			for i := range each {
				errs <- l.Append(ctx, event(i, fmt.Sprint("node", w)))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := New(client, "", 100).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != writers*each {
		t.Fatalf("%d events, want %d", len(got.Events), writers*each)
	}
	for i, e := range got.Events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has number %d, want %d: numbers are not 1..n", i, e.Seq, i+1)
		}
	}
}

func TestCorruptEventsAreSkippedAndReported(t *testing.T) {
	client := embedetcd.StartT(t).ClientT(t)
	ctx := t.Context()
	l := New(client, "", 0)
	if err := l.Append(ctx, event(1, "a")); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		l.eventKey(2):          "{not json",
		l.eventKey(3):          `{"kind":"booted"}`,
		l.eventsPrefix() + "x": `{"time":"2026-12-03T10:00:00Z","kind":"booted"}`,
	}
	for k, v := range bad {
		if _, err := client.Put(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 1 || got.Events[0].Node != "a" {
		t.Errorf("events %+v, want only a's", got.Events)
	}
	if len(got.Corrupt) != len(bad) {
		t.Fatalf("corrupt %v, want the %d bad keys", got.Corrupt, len(bad))
	}
	for _, c := range got.Corrupt {
		if _, ok := bad[c.Key]; !ok || c.Problem == "" {
			t.Errorf("corrupt entry %v: not one of the bad keys, or no problem named", c)
		}
	}
}

func TestACorruptSeqKeyStopsAppendsAndIsNamed(t *testing.T) {
	client := embedetcd.StartT(t).ClientT(t)
	ctx := t.Context()
	l := New(client, "", 0)
	if _, err := client.Put(ctx, l.seqKey(), "seven"); err != nil {
		t.Fatal(err)
	}
	err := l.Append(ctx, event(1, "a"))
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Append: %v, want ErrCorrupt", err)
	}
	resp, err := client.Get(ctx, l.seqKey())
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "seven" {
		t.Errorf("seq key after the failed append: %v, %v; want it untouched", resp, err)
	}
}

func TestFollowSeesEachEventAppendedAfterTheListing(t *testing.T) {
	client := embedetcd.StartT(t).ClientT(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	l := New(client, "", 3)
	for i := 1; i <= 4; i++ {
		if err := l.Append(ctx, event(i, "a")); err != nil {
			t.Fatal(err)
		}
	}
	listing, err := l.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan history.Event, 10)
	corrupt := make(chan Corrupt, 10)
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- l.Follow(fctx, listing.Revision, func(e history.Event) { seen <- e }, func(c Corrupt) { corrupt <- c })
	}()
	for i := 5; i <= 6; i++ {
		if err := l.Append(ctx, event(i, "b")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Put(ctx, l.eventKey(99), "{"); err != nil {
		t.Fatal(err)
	}
	for i := 5; i <= 6; i++ {
		select {
		case e := <-seen:
			if e.Seq != int64(i) || e.Node != "b" {
				t.Errorf("followed event %d: %+v", i, e)
			}
		case <-ctx.Done():
			t.Fatalf("event %d never followed", i)
		}
	}
	select {
	case c := <-corrupt:
		if c.Key != l.eventKey(99) {
			t.Errorf("corrupt %v, want key %s", c, l.eventKey(99))
		}
	case <-ctx.Done():
		t.Fatal("the corrupt event was not reported")
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Follow after its context ended: %v", err)
	}
}
