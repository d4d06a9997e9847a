// Package nodestate publishes what each node is doing in etcd, next to its group's semaphore,
// for locksmithctl why and status.
//
// For the semaphore key K of a group (see semaphore.Key), node N publishes one key,
// K + "/nodes/" + url.PathEscape(N), whose value is a [State] as JSON. A node writes it only
// when its state changes, never periodically, so an idle fleet sends etcd nothing; the keys are
// as many as the nodes of the group.
package nodestate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/semaphore"
)

// State is what a node published of itself.
type State struct {
	Node     string `json:"node"`
	Hostname string `json:"hostname,omitempty"`
	Group    string `json:"group"`
	// State is the daemon's state (e.g. "waiting-for-slot"), Status the same in words.
	State  string `json:"state"`
	Status string `json:"status"`
	// Since is when the node entered State.
	Since time.Time `json:"since"`
	// RebootNeeded reports that the node needs a reboot.
	RebootNeeded bool `json:"reboot_needed"`
	// WindowOpens is the next opening of the reboot window while the node waits for it.
	WindowOpens time.Time `json:"window_opens,omitzero"`
	// TimeZone is the zone of the reboot windows, e.g. "Europe/Berlin".
	TimeZone string `json:"time_zone,omitempty"`
	// BlockedBy is, while a reboot blocker holds the reboot back, why (e.g. the firing alerts).
	BlockedBy string `json:"blocked_by,omitempty"`
	// Check is the state of the post-reboot checks while they fail; nil otherwise.
	Check *Check `json:"check,omitempty"`
}

// Check tells of failing post-reboot checks.
type Check struct {
	// Command is the check that failed last.
	Command string `json:"command"`
	// Error is how it failed.
	Error string `json:"error"`
	// FailingSince is when the first failed round ended.
	FailingSince time.Time `json:"failing_since"`
	// Tries is the number of rounds that failed.
	Tries int `json:"tries"`
}

// ErrCorrupt is wrapped by [Get]'s error for a value that is not a State.
var ErrCorrupt = errors.New("corrupt published node state")

// Prefix returns the prefix of the keys of group's nodes.
func Prefix(group string) string { return semaphore.Key(group) + "/nodes/" }

// Key returns the key that node of group publishes.
func Key(group, node string) string { return Prefix(group) + url.PathEscape(node) }

// Publish writes st, in st.Group, in one request.
func Publish(ctx context.Context, client *clientv3.Client, st State) error {
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if _, err := client.Put(ctx, Key(st.Group, st.Node), string(v)); err != nil {
		return fmt.Errorf("publish the state of %s: %w", st.Node, err)
	}
	return nil
}

// Get reads what node of group published; ok is false when it published nothing. A value that
// is not a State is an error wrapping ErrCorrupt that names the key.
func Get(ctx context.Context, client *clientv3.Client, group, node string) (st State, ok bool, err error) {
	resp, err := client.Get(ctx, Key(group, node))
	if err != nil {
		return State{}, false, fmt.Errorf("read the published state of %s: %w", node, err)
	}
	if len(resp.Kvs) == 0 {
		return State{}, false, nil
	}
	st, err = parse(resp.Kvs[0].Key, resp.Kvs[0].Value)
	return st, err == nil, err
}

// List reads what every node of group published, in one request, sorted by node. Corrupt
// values are skipped and returned as errors wrapping ErrCorrupt.
func List(ctx context.Context, client *clientv3.Client, group string) ([]State, []error, error) {
	resp, err := client.Get(ctx, Prefix(group), clientv3.WithPrefix())
	if err != nil {
		return nil, nil, fmt.Errorf("read the published node states of %s: %w", group, err)
	}
	var out []State
	var bad []error
	for _, kv := range resp.Kvs {
		if st, err := parse(kv.Key, kv.Value); err != nil {
			bad = append(bad, err)
		} else {
			out = append(out, st)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out, bad, nil
}

func parse(key, value []byte) (State, error) {
	var st State
	if err := json.Unmarshal(value, &st); err != nil {
		return State{}, fmt.Errorf("%w: %s: %w", ErrCorrupt, key, err)
	}
	if st.Node == "" || st.State == "" {
		return State{}, fmt.Errorf("%w: %s: no node or no state", ErrCorrupt, key)
	}
	return st, nil
}
