package daemon_test

import (
	"context"
	"sync/atomic"
	"testing"

	"locksmith.dev/locksmith/semaphore"
)

// brokenSilencer fails every call, as an Alertmanager that is down does.
type brokenSilencer struct{ silenced, unsilenced atomic.Int32 }

func (s *brokenSilencer) Silence(context.Context) error {
	s.silenced.Add(1)
	return errTest
}

func (s *brokenSilencer) Unsilence(context.Context) error {
	s.unsilenced.Add(1)
	return errTest
}

// A silence that cannot be made does not hold the reboot back, and after the boot the node
// still tries to expire its silences when it gives its slot back.
func TestAFailedSilenceDoesNotBlockTheReboot(t *testing.T) {
	n := newNode(t)
	s := &brokenSilencer{}
	n.deps.Silencer = s
	n.upd.set(true, nil)
	n.start()
	n.rebootCalled()
	if s.silenced.Load() != 1 {
		t.Errorf("Silence called %d times before the reboot, want 1", s.silenced.Load())
	}
	n.logged("level=WARN", "cannot silence this node's alerts for the reboot; rebooting anyway")

	after := newNode(t)
	after.deps.Silencer = s
	heldFromLastBoot(t, after)
	after.start()
	after.waitHolders("the slot given back", func(h []semaphore.Holder) bool { return len(h) == 0 })
	after.logged("level=WARN", "cannot expire this node's alert silences")
	if s.unsilenced.Load() != 1 {
		t.Errorf("Unsilence called %d times after the release, want 1", s.unsilenced.Load())
	}
}

// A reboot whose request fails expires the silence made for it.
func TestAFailedRebootRequestExpiresTheSilence(t *testing.T) {
	n := newNode(t)
	s := &brokenSilencer{}
	n.deps.Silencer = s
	n.reb.fail(errTest)
	n.upd.set(true, nil)
	n.start()
	n.rebootCalled()
	n.logged("level=WARN", "cannot expire this node's alert silences")
	if s.silenced.Load() != 1 || s.unsilenced.Load() != 1 {
		t.Errorf("Silence called %d times and Unsilence %d, want 1 and 1", s.silenced.Load(), s.unsilenced.Load())
	}
}
