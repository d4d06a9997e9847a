package semaphore

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Groups returns the groups whose semaphore key exists in etcd, sorted, DefaultGroup ("") first
// when it exists. It reads keys only, in one request. A group name that is not a valid escape is
// skipped: no Key produces it.
func Groups(ctx context.Context, client *clientv3.Client) ([]string, error) {
	resp, err := client.Get(ctx, KeyPrefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, fmt.Errorf("list the groups under %s: %w", KeyPrefix, err)
	}
	var groups []string
	def := false
	for _, kv := range resp.Kvs {
		k := string(kv.Key)
		if k == Key(DefaultGroup) {
			def = true
			continue
		}
		rest, ok := strings.CutPrefix(k, keyRoot+"groups/")
		escaped, ok2 := strings.CutSuffix(rest, "/semaphore")
		if !ok || !ok2 || strings.Contains(escaped, "/") {
			continue // a waiter key, a release request, or a foreign key
		}
		if g, err := url.QueryUnescape(escaped); err == nil && Key(g) == k {
			groups = append(groups, g)
		}
	}
	slices.Sort(groups)
	if def {
		groups = append([]string{DefaultGroup}, groups...)
	}
	return groups, nil
}
