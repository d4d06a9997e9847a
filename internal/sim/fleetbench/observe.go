package fleetbench

import (
	"context"
	"encoding/json"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// observer watches a semaphore key on its own and counts the holders of every value written.
type observer struct {
	cancel context.CancelFunc
	done   chan struct{}
	most   int
	values int
}

// observe starts watching key from the current revision.
func observe(ctx context.Context, client *clientv3.Client, key string) (*observer, error) {
	resp, err := client.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("observe %s: %w", key, err)
	}
	wctx, cancel := context.WithCancel(ctx)
	o := &observer{cancel: cancel, done: make(chan struct{})}
	w := client.Watch(wctx, key, clientv3.WithRev(resp.Header.Revision+1))
	go func() {
		defer close(o.done)
		for r := range w {
			for _, ev := range r.Events {
				var v struct {
					Holders []string `json:"holders"`
				}
				if json.Unmarshal(ev.Kv.Value, &v) == nil {
					o.values++
					o.most = max(o.most, len(v.Holders))
				}
			}
		}
	}()
	return o, nil
}

// stop ends the watch and returns the most holders seen and how many values were seen.
// A watch cut short sees fewer values; the count says so.
func (o *observer) stop() (most, values int) {
	o.cancel()
	<-o.done
	return o.most, o.values
}
