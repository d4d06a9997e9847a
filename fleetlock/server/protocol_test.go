package server_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"locksmith.dev/locksmith/fleetlock"
	"locksmith.dev/locksmith/fleetlock/server"
	"locksmith.dev/locksmith/semaphore"
)

// Every malformed request gets its status and kind, is logged once, and leaves the semaphore's
// value exactly as it was.
func TestBadRequests(t *testing.T) {
	r := newRig(t, server.Config{})
	if err := r.client("a", "default").Unlock(r.ctx()); err != nil { // any valid request
		t.Fatal(err)
	}
	if _, err := r.client("a", "default").TryLock(r.ctx(), 0); err != nil {
		t.Fatal(err)
	}
	key := semaphore.Key(semaphore.DefaultGroup)
	before, rev := r.raw(key)
	big := `{"client_params":{"id":"` + strings.Repeat("x", fleetlock.MaxBodyBytes) + `","group":"default"}}`
	tests := []struct {
		name, method, path, body string
		headers                  map[string]string
		status                   int
		kind, says               string
	}{
		{"no header", "POST", fleetlock.PathPreReboot, body("b", "default"), nil, 400, fleetlock.KindMissingHeader, "missing header"},
		{"wrong header", "POST", fleetlock.PathSteadyState, body("a", "default"), map[string]string{fleetlock.HeaderProtocol: "yes"}, 400, fleetlock.KindMissingHeader, `"yes"`},
		{"not JSON", "POST", fleetlock.PathPreReboot, "id=b", proto, 400, fleetlock.KindBadRequest, "invalid JSON"},
		{"wrong type", "POST", fleetlock.PathPreReboot, `{"client_params":{"id":7,"group":"default"}}`, proto, 400, fleetlock.KindBadRequest, "field client_params.id is a JSON number, want a string"},
		{"too large", "POST", fleetlock.PathPreReboot, big, proto, 413, fleetlock.KindBodyTooLarge, "larger than"},
		{"no id", "POST", fleetlock.PathPreReboot, `{"client_params":{"group":"default"}}`, proto, 400, fleetlock.KindBadRequest, "id is missing or empty"},
		{"empty id", "POST", fleetlock.PathSteadyState, body("", "default"), proto, 400, fleetlock.KindBadRequest, "id is missing or empty"},
		{"id with a space", "POST", fleetlock.PathSteadyState, body("a b", "default"), proto, 400, fleetlock.KindBadRequest, "white space"},
		{"no group", "POST", fleetlock.PathSteadyState, `{"client_params":{"id":"a"}}`, proto, 400, fleetlock.KindBadRequest, "group is missing or empty"},
		{"bad group", "POST", fleetlock.PathSteadyState, body("a", "de/fault"), proto, 400, fleetlock.KindBadRequest, `"de/fault" does not match`},
		{"no client_params", "POST", fleetlock.PathPreReboot, `{}`, proto, 400, fleetlock.KindBadRequest, "id is missing"},
		{"GET", "GET", fleetlock.PathPreReboot, "", proto, 405, fleetlock.KindMethodNotAllowed, "use POST"},
		{"PUT", "PUT", fleetlock.PathSteadyState, body("a", "default"), proto, 405, fleetlock.KindMethodNotAllowed, "use POST"},
		{"unknown path", "POST", "/v1/reboot", body("a", "default"), proto, 404, fleetlock.KindNotFound, "/v1/pre-reboot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logged := r.logs.Len()
			status, e := r.send(tt.method, tt.path, tt.body, tt.headers)
			if status != tt.status || e.Kind != tt.kind || !strings.Contains(e.Value, tt.says) {
				t.Errorf("answer %d %+v, want %d %s saying %q", status, e, tt.status, tt.kind, tt.says)
			}
			if after, now := r.raw(key); !bytes.Equal(after, before) || now != rev {
				t.Errorf("the value changed: %s (revision %d), was %s (revision %d)", after, now, before, rev)
			}
			lines := strings.Split(strings.TrimSpace(r.logs.String()), "\n")[logged:]
			if len(lines) != 1 || !strings.Contains(lines[0], "refused a request") || !strings.Contains(lines[0], "kind="+tt.kind) {
				t.Errorf("logged %q, want one line naming kind %s", lines, tt.kind)
			}
		})
	}
}

// No Content-Type is needed, and group "default" is locksmith's default group, other groups
// locksmith's groups: one max counts every kind of node.
func TestGroupsMapToLocksmithKeys(t *testing.T) {
	r := newRig(t, server.Config{})
	if status, e := r.send("POST", fleetlock.PathPreReboot, body("z1", "default"), proto); status != 200 {
		t.Fatalf("pre-reboot without Content-Type: %d %+v", status, e)
	}
	if _, err := r.client("z2", "workers.eu-1").TryLock(r.ctx(), 0); err != nil {
		t.Fatal(err)
	}
	if got := r.holders(semaphore.DefaultGroup); len(got) != 1 || got[0] != "z1" {
		t.Fatalf("default group holders %q, want z1", got)
	}
	if got := r.holders("workers.eu-1"); len(got) != 1 || got[0] != "z2" {
		t.Fatalf("group workers.eu-1 holders %q, want z2", got)
	}
	// A locksmithd node in the default group shares the one slot: it is full.
	err := r.sem(semaphore.DefaultGroup).TryAcquire(r.ctx(), semaphore.Holder{ID: "node"})
	if !errors.Is(err, semaphore.ErrFull) {
		t.Fatalf("TryAcquire by an etcd node while z1 holds the only slot: %v, want ErrFull", err)
	}
}

// Locks are owned and recursive.
func TestOwnedRecursiveLocks(t *testing.T) {
	r := newRig(t, server.Config{})
	a, b := r.client("a", "default"), r.client("b", "default")
	for range 2 {
		if _, err := a.TryLock(r.ctx(), 0); err != nil {
			t.Fatalf("pre-reboot of a: %v", err)
		}
	}
	if _, err := b.TryLock(r.ctx(), 0); !errors.Is(err, fleetlock.ErrSemaphoreFull) {
		t.Fatalf("pre-reboot of b while a holds the only slot: %v, want full", err)
	} else if fe, _ := errors.AsType[*fleetlock.Error](err); fe.Status != http.StatusConflict || !strings.Contains(fe.Value, `group "default"`) {
		t.Fatalf("full answer %+v, want 409 naming the group", fe)
	}
	key := semaphore.Key(semaphore.DefaultGroup)
	before, rev := r.raw(key)
	if err := r.client("c", "default").Unlock(r.ctx()); err != nil {
		t.Fatalf("steady-state of a non-holder: %v", err)
	}
	if after, now := r.raw(key); !bytes.Equal(after, before) || now != rev {
		t.Fatalf("a non-holder's steady-state wrote %s", after)
	}
	for range 2 {
		if err := a.Unlock(r.ctx()); err != nil {
			t.Fatalf("steady-state of a: %v", err)
		}
	}
	waitHolders(t, r, "b") // b kept its place in the queue
	if _, _, err := r.logs.Wait(r.ctx(), 0, "was admitted into a slot", "id=b"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.TryLock(r.ctx(), 0); err != nil {
		t.Fatalf("pre-reboot of b once admitted: %v", err)
	}
}

// A corrupt value gets 500 internal and is never overwritten.
func TestCorruptValue(t *testing.T) {
	r := newRig(t, server.Config{})
	key := semaphore.Key(semaphore.DefaultGroup)
	if _, err := r.etcd.Put(r.ctx(), key, `{"max": "two"`); err != nil {
		t.Fatal(err)
	}
	before, rev := r.raw(key)
	for _, path := range []string{fleetlock.PathPreReboot, fleetlock.PathSteadyState} {
		status, e := r.send("POST", path, body("a", "default"), proto)
		if status != 500 || e.Kind != fleetlock.KindInternal || !strings.Contains(e.Value, "corrupt") {
			t.Errorf("%s on a corrupt value: %d %+v, want 500 internal", path, status, e)
		}
	}
	if after, now := r.raw(key); !bytes.Equal(after, before) || now != rev {
		t.Fatalf("the corrupt value was overwritten: %s", after)
	}
}
