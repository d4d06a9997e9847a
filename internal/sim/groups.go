package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"locksmith.dev/locksmith/semaphore"
)

// checkTimeout bounds the first request of a run (or the run's timeout,
// if shorter): an etcd that does not answer is reported rather than
// waited for.
const checkTimeout = 10 * time.Second

// Every key of a group is its semaphore key or under it (the waiters,
// release requests and the last-waiter key), and semaphore.Key escapes
// "/" in group names: the keys with the prefix semaphore.Key(g) are
// exactly the keys of g.

// checkGroupsUnused returns an error wrapping ErrGroupInUse, and telling
// how to remove them, if etcd has any key of the run's groups.
func (f *fleet) checkGroupsUnused(ctx context.Context, admin *clientv3.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, min(checkTimeout, timeout))
	defer cancel()
	for _, g := range f.groups {
		key := semaphore.Key(g)
		resp, err := admin.Get(ctx, key, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			return fmt.Errorf("check group %q in etcd at %s: %w", g, strings.Join(f.endpoints, ","), err)
		}
		if resp.Count > 0 {
			return fmt.Errorf("%w: group %q has %d keys in etcd, left by a run that was killed or used by a run still going; "+
				"if none is running, remove them with '%s', or choose another --group-prefix", ErrGroupInUse, g, resp.Count, f.delCommand(key))
		}
	}
	return nil
}

// setMax creates the semaphore of every group with --max slots.
func (f *fleet) setMax(ctx context.Context, admin *clientv3.Client) error {
	for _, g := range f.groups {
		if _, err := semaphore.New(admin, g).SetMax(ctx, f.opts.Max); err != nil {
			return fmt.Errorf("set max of group %q: %w", g, err)
		}
	}
	return nil
}

// deleteGroups deletes every key of the run's groups, even when ctx has
// ended. Its error names the keys left and how to remove them.
func (f *fleet) deleteGroups(ctx context.Context, admin *clientv3.Client) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
	defer cancel()
	var errs []error
	for _, g := range f.groups {
		key := semaphore.Key(g)
		if _, err := admin.Delete(ctx, key, clientv3.WithPrefix()); err != nil {
			errs = append(errs, fmt.Errorf("delete the keys of group %q: %w (remove them with '%s')", g, err, f.delCommand(key)))
		}
	}
	return errors.Join(errs...)
}

// delCommand is the etcdctl command that deletes the keys of the group
// whose semaphore key is key.
func (f *fleet) delCommand(key string) string {
	return fmt.Sprintf("etcdctl --endpoints=%s del --prefix %s", strings.Join(f.endpoints, ","), key)
}
