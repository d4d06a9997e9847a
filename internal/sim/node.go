package sim

import (
	"context"
	"fmt"
	"time"

	"locksmith.dev/locksmith/internal/clock"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/etcdclient"
	"locksmith.dev/locksmith/semaphore"
	"locksmith.dev/locksmith/strategy"
)

// probeTimeout bounds each etcd request of a daemon, in real time: long
// enough for a loaded etcd serving a thousand nodes on a small machine.
const probeTimeout = 30 * time.Second

// node is one simulated machine. Its fields but the drawn ones are guarded
// by the fleet's mutex.
type node struct {
	id, group string
	downFor   time.Duration // how long its reboot takes (drawn)
	dies      bool          // never comes back from its reboot (drawn)
	fleet     bool          // takes its slot through the run's FleetLock server
	polls     bool          // a FleetLock node that polls like Zincati, without the long-poll extension

	phase   phase
	boot    int  // number of boots so far; 0 is the boot before the reboot
	ready   bool // reached idle in boot 0
	reboots int
}

// run boots the node until it is done or dead, or ctx ends: each boot runs
// the real daemon state machine until it asks for a reboot; the node is
// then down for its reboot time, counted from the request (the daemon's
// shutdown is part of it), and boots again with a new boot id.
func (n *node) run(ctx context.Context, f *fleet) error {
	for boot := 0; ; boot++ {
		downAt, err := n.runBoot(ctx, f, boot)
		if err != nil || downAt.IsZero() || n.dies {
			return err
		}
		if clock.Sleep(ctx, clock.Real, n.downFor-time.Since(downAt)) != nil {
			return nil
		}
		f.cameUp(n)
	}
}

// runBoot runs the daemon of one boot, with its own etcd client as a new
// process would, until it asks for a reboot or ctx ends. It returns when
// the reboot was asked for, zero if it was not.
func (n *node) runBoot(ctx context.Context, f *fleet, boot int) (time.Time, error) {
	var lock daemon.Lock
	if n.fleet {
		lock = f.fleetLock(n)
	} else {
		cli, err := etcdclient.New(etcdclient.Config{Endpoints: f.endpoints, DialOptions: f.counter.DialOptions()})
		if err != nil {
			return time.Time{}, fmt.Errorf("node %s: %w", n.id, err)
		}
		defer cli.Close()
		sem := semaphore.New(cli, n.group, semaphore.WithClock(f.clk.Now))
		defer sem.Close()
		lock = sem
		if f.mode == ModeBaseline {
			lock = f.baselineLock(n, sem)
		}
	}
	mctx, goDown := context.WithCancel(ctx)
	defer goDown()
	reb := &rebooter{f: f, n: n, goDown: goDown}
	m, err := daemon.New(daemon.Config{
		Strategy:     strategy.EtcdLock,
		Schedule:     f.schedule,
		Group:        n.group,
		MachineID:    n.id,
		BootID:       fmt.Sprintf("%s-boot-%d", n.id, boot),
		Hostname:     n.id,
		LockTTL:      f.clk.simulated(f.opts.LockTTL),
		ProbeTimeout: f.clk.simulated(probeTimeout),
		OnEvent:      func(ev daemon.Event) { f.event(n, boot, ev) },
	}, daemon.Deps{
		Lock:     lock,
		Updates:  updates{f: f, boot: boot},
		Rebooter: reb,
		Clock:    f.clk,
		Logger:   f.logger.With("node", n.id, "boot", boot),
		History:  f.history(),
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("node %s: %w", n.id, err)
	}
	if err := m.Run(mctx); err != nil {
		return time.Time{}, fmt.Errorf("node %s: %w", n.id, err)
	}
	return reb.at, nil
}

// updates is the update source of a node: a reboot is needed in the first
// boot, from the moment the fleet announces the update; never after.
type updates struct {
	f    *fleet
	boot int
}

// WaitRebootNeeded returns once the update is announced in the first
// boot; in later boots it waits until ctx ends.
func (u updates) WaitRebootNeeded(ctx context.Context) (string, error) {
	announced := u.f.announced
	if u.boot > 0 {
		announced = nil
	}
	select {
	case <-announced:
		return "simulated update", nil
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
}

// RebootNeeded is true in the first boot.
func (u updates) RebootNeeded(context.Context) (bool, error) { return u.boot == 0, nil }

// rebooter takes the node down: the daemon's context ends, as when the
// host goes down.
type rebooter struct {
	f      *fleet
	n      *node
	goDown context.CancelFunc
	at     time.Time // when the reboot was asked for; read after Run returned
}

// Reboot records the reboot, takes the node down and returns nil.
func (r *rebooter) Reboot(context.Context) error {
	r.at = time.Now()
	r.f.wentDown(r.n)
	r.goDown()
	return nil
}
