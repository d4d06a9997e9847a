package semaphore

import (
	"context"
	"errors"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// transient reports whether err says only that etcd's leader was changing: the next try, sent at
// once, is likely to succeed.
func transient(err error) bool {
	err = rpctypes.Error(err)
	return errors.Is(err, rpctypes.ErrLeaderChanged) || errors.Is(err, rpctypes.ErrNoLeader) ||
		errors.Is(err, rpctypes.ErrTimeoutDueToLeaderFail)
}

// retryable reports whether err, the error of a request sent under ctx, is worth trying again
// while ctx lasts: a leader change, a timeout of that request alone (requestTimeout, not ctx's
// deadline), or etcd unavailable (no member reachable, or the member timed out). A write that
// failed so may have been applied all the same: its caller reads before it writes again.
func retryable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	if transient(err) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ee rpctypes.EtcdError // etcd's own errors: timed out, no leader, stopping, ...
	if errors.As(err, &ee) {
		return ee.Code() == codes.Unavailable
	}
	return status.Code(err) == codes.Unavailable // no connection to any member
}

// timedOut reports whether err is the timeout of one request: the next try goes out at once.
func timedOut(err error) bool { return errors.Is(err, context.DeadlineExceeded) }

// resend sends, with send, a request whose repetition is harmless (a read, a lease grant or
// revocation), each try bounded by requestTimeout, and sends it again while it fails in a way
// worth retrying (see retryable), up to requestTries tries: at once after a timeout or a leader
// change, retryPause later after a refusal.
func resend[T any](ctx context.Context, send func(context.Context) (T, error)) (T, error) {
	return resendAfter(ctx, requestTimeout, send)
}

// resendAfter is resend with the first try bounded by first instead of requestTimeout.
func resendAfter[T any](ctx context.Context, first time.Duration, send func(context.Context) (T, error)) (T, error) {
	for try := 1; ; try++ {
		timeout := requestTimeout
		if try == 1 {
			timeout = first
		}
		c, cancel := context.WithTimeout(ctx, timeout)
		v, err := send(c)
		cancel()
		if err == nil || try == requestTries || !retryable(ctx, err) {
			return v, err
		}
		if !timedOut(err) && !transient(err) && pause(ctx, retryPause) != nil {
			return v, err
		}
	}
}

// pause waits d, or until ctx ends (it then returns ctx.Err()).
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// commit sends a transaction that only reads, made of cmps, then and els, with the tries of
// resend, the first bounded by pollTimeout: a read takes a few milliseconds from a member that
// answers, and the next try goes to another member.
func (s *Semaphore) commit(ctx context.Context, cmps []clientv3.Cmp, then, els []clientv3.Op) (*clientv3.TxnResponse, error) {
	return resendAfter(ctx, pollTimeout, func(c context.Context) (*clientv3.TxnResponse, error) {
		return s.client.Txn(c).If(cmps...).Then(then...).Else(els...).Commit()
	})
}

// poll sends ops, reads, in one transaction with the tries of commit: a waiter's check of what
// it watches.
func (s *Semaphore) poll(ctx context.Context, ops ...clientv3.Op) (*clientv3.TxnResponse, error) {
	return s.commit(ctx, nil, ops, nil)
}

// get is client.Get with the tries of resend.
func (s *Semaphore) get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	return resend(ctx, func(c context.Context) (*clientv3.GetResponse, error) { return s.client.Get(c, key, opts...) })
}

// again reports whether a blocked Acquire tries again after err, an error of etcd: when it is
// worth retrying (see retryable) and s is open. It tells the trouble hook (see WithTrouble), and
// waits retryPause unless err was the timeout of a request.
func (s *Semaphore) again(ctx context.Context, err error) bool {
	if !retryable(ctx, err) || s.isClosed() {
		return false
	}
	if s.opts.trouble != nil {
		s.opts.trouble(err)
	}
	return timedOut(err) || pause(ctx, retryPause) == nil
}
