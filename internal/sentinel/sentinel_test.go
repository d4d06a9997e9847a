package sentinel

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type result struct {
	path string
	err  error
}

// start runs Wait in the background; act runs once, right after the first
// set of watches is armed, so that the change happens while Wait watches.
func start(t *testing.T, ctx context.Context, f Files, act func()) <-chan result {
	t.Helper()
	first := true
	f.armed = func() {
		if first {
			first = false
			act()
		}
	}
	ch := make(chan result, 1)
	go func() {
		p, err := f.Wait(ctx)
		ch <- result{p, err}
	}()
	return ch
}

func await(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("Wait did not return")
		return result{}
	}
}

func TestPresentAtOnce(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "reboot-required")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f := Files{Paths: []string{filepath.Join(dir, "other"), p}}
	if got, ok := f.Present(); !ok || got != p {
		t.Fatalf("Present = %q, %v", got, ok)
	}
	if got, err := f.Wait(context.Background()); err != nil || got != p {
		t.Fatalf("Wait = %q, %v", got, err)
	}
}

func TestCreatedWhileWaiting(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "reboot-required")
	ch := start(t, context.Background(), Files{Paths: []string{p}}, func() {
		if err := os.WriteFile(filepath.Join(dir, "unrelated"), nil, 0o644); err != nil {
			t.Error(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Error(err)
		}
	})
	if r := await(t, ch); r.err != nil || r.path != p {
		t.Fatalf("Wait = %+v", r)
	}
}

func TestMovedIntoPlace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "reboot-required")
	tmp := filepath.Join(t.TempDir(), "tmp")
	if err := os.WriteFile(tmp, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ch := start(t, context.Background(), Files{Paths: []string{p}}, func() {
		if err := os.Rename(tmp, p); err != nil {
			t.Error(err)
		}
	})
	if r := await(t, ch); r.err != nil || r.path != p {
		t.Fatalf("Wait = %+v", r)
	}
}

func TestDirectoryCreatedLater(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "b", "reboot-required")
	ch := start(t, context.Background(), Files{Paths: []string{p}}, func() {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Error(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Error(err)
		}
	})
	if r := await(t, ch); r.err != nil || r.path != p {
		t.Fatalf("Wait = %+v", r)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stop")
	ch := start(t, ctx, Files{Paths: []string{filepath.Join(t.TempDir(), "never")}}, func() { cancel(stop) })
	if r := await(t, ch); !errors.Is(r.err, stop) {
		t.Fatalf("Wait after cancel = %+v", r)
	}
}

func TestNoPaths(t *testing.T) {
	if _, err := (Files{}).Wait(context.Background()); err == nil {
		t.Fatal("Wait with no paths succeeded")
	}
	if _, ok := (Files{}).Present(); ok {
		t.Fatal("Present with no paths is true")
	}
}
