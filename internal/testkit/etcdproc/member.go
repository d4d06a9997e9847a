// Package etcdproc runs an etcd cluster whose members are separate
// processes on loopback, so that tests can kill -9 the leader, SIGSTOP a
// member and restart one, as happens to a real cluster.
package etcdproc

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// RunMember runs one member configured by args (-name, -dir, -client-url,
// -peer-url, -initial-cluster, -state new|existing) until ctx ends. It
// writes "ready" and a newline to out once the member serves clients.
func RunMember(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("etcd-member", flag.ContinueOnError)
	name := fs.String("name", "", "member name")
	dir := fs.String("dir", "", "data directory")
	client := fs.String("client-url", "", "client URL, e.g. http://127.0.0.1:23790")
	peer := fs.String("peer-url", "", "peer URL, e.g. http://127.0.0.1:23800")
	cluster := fs.String("initial-cluster", "", "name=peer-url,...")
	state := fs.String("state", embed.ClusterStateFlagNew, "initial cluster state: new or existing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cu, err := url.Parse(*client)
	if err != nil {
		return fmt.Errorf("client url: %w", err)
	}
	pu, err := url.Parse(*peer)
	if err != nil {
		return fmt.Errorf("peer url: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Name = *name
	cfg.Dir = *dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = *cluster
	cfg.ClusterState = *state
	cfg.InitialClusterToken = "locksmith-test"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.UnsafeNoFsync = true
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("start member %s: %w", *name, err)
	}
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
		fmt.Fprintln(out, "ready")
	case err := <-e.Err():
		return fmt.Errorf("member %s: %w", *name, err)
	case <-ctx.Done():
		return nil
	case <-time.After(2 * time.Minute):
		return fmt.Errorf("member %s not ready after 2m", *name)
	}
	select {
	case err := <-e.Err():
		return fmt.Errorf("member %s: %w", *name, err)
	case <-ctx.Done():
		return nil
	}
}
