package semaphore

import (
	"context"
	"errors"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// transientRetries is how many times a request that failed with a transient error is sent again
// at once, before the error goes to the caller (whose own back-off then applies).
const transientRetries = 3

// transient reports whether err says only that etcd's leader was changing: the next try, sent at
// once, is likely to succeed. Only reads are retried so: a write that failed so may have been
// applied after all, and its caller, not a blind resend, decides what follows.
func transient(err error) bool {
	err = rpctypes.Error(err)
	return errors.Is(err, rpctypes.ErrLeaderChanged) || errors.Is(err, rpctypes.ErrNoLeader) ||
		errors.Is(err, rpctypes.ErrTimeoutDueToLeaderFail)
}

// commit commits txn, a transaction that only reads, sending it again at once, up to
// transientRetries times, while it fails with a transient error and ctx lasts.
func commit(ctx context.Context, txn clientv3.Txn) (*clientv3.TxnResponse, error) {
	resp, err := txn.Commit()
	for try := 0; try < transientRetries && err != nil && transient(err) && ctx.Err() == nil; try++ {
		resp, err = txn.Commit()
	}
	return resp, err
}

// get is client.Get with the immediate retries of commit.
func (s *Semaphore) get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	resp, err := s.client.Get(ctx, key, opts...)
	for try := 0; try < transientRetries && err != nil && transient(err) && ctx.Err() == nil; try++ {
		resp, err = s.client.Get(ctx, key, opts...)
	}
	return resp, err
}
