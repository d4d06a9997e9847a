package sim

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"locksmith.dev/locksmith/fleetlock"
	"locksmith.dev/locksmith/fleetlock/server"
	"locksmith.dev/locksmith/internal/daemon"
	"locksmith.dev/locksmith/internal/etcdclient"
)

// zincatiPoll is how often a Zincati-like node polls, on the simulated clock.
const zincatiPoll = 5 * time.Minute

// startFleetLock starts the run's FleetLock server on loopback, on the run's etcd, with the
// simulated clock (its claim timeout is in simulated time), and returns the function that stops
// it. Its etcd requests are counted with the nodes'.
func (f *fleet) startFleetLock() (stop func(), err error) {
	cli, err := etcdclient.New(etcdclient.Config{Endpoints: f.endpoints, DialOptions: f.counter.DialOptions()})
	if err != nil {
		return nil, fmt.Errorf("FleetLock server: %w", err)
	}
	srv := server.New(cli, server.Config{Clock: f.clk, Logger: f.logger.With("component", "fleetlock-server")})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		_ = cli.Close()
		return nil, fmt.Errorf("FleetLock server: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	f.fleetURL = "http://" + ln.Addr().String()
	return func() {
		_ = srv.Close() // ends the long polls
		_ = hs.Close()
		_ = cli.Close()
	}, nil
}

// usesFleetLock reports whether node i (from 0) takes its slot through FleetLock, and whether
// it polls like Zincati rather than long-polling.
func (f *fleet) usesFleetLock(i int) (fleet, polls bool) {
	first := f.opts.Nodes - f.opts.FleetLockNodes
	return i >= first, i >= first && (i-first)%2 == 1
}

// fleetLock returns the Lock of a FleetLock node.
func (f *fleet) fleetLock(n *node) daemon.Lock {
	c := &fleetlock.Client{URL: f.fleetURL, ID: n.id, Group: n.group, Clock: f.clk,
		HTTP: &http.Client{Timeout: fleetlock.DefaultLongPoll + 30*time.Second}}
	if n.polls {
		c.LongPoll, c.PollInterval = -1, zincatiPoll
	}
	return fleetlock.NewNodeLock(c)
}
