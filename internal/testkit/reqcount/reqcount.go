// Package reqcount counts the requests an etcd client sends, for benchmarks
// and the cluster simulator.
//
// A [Counter] provides a pair of gRPC client interceptors: the unary one
// counts every unary call (Range, Txn, Put, LeaseGrant, ...), including each
// retry of the etcd client's own retry layer; the stream one counts every
// stream opened and every message sent on it (a Watch create or cancel
// request, a LeaseKeepAlive request). Messages received on streams (watch
// events, keep-alive answers) are counted apart, as Counts.StreamReceived:
// they are not requests.
// Install it with [Counter.DialOptions] through clientv3.Config.DialOptions
// or etcdclient.Config.DialOptions; the interceptors are chained, so the
// etcd client's own interceptors keep working. One Counter may serve many
// clients; it is safe for concurrent use.
package reqcount

import (
	"context"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
)

// Counter counts the requests of the clients it is installed in. The zero
// value is ready to use.
type Counter struct {
	unary    atomic.Int64
	streams  atomic.Int64
	messages atomic.Int64
	received atomic.Int64
	byMethod sync.Map // full gRPC method name → *atomic.Int64 of requests
}

// Counts is a snapshot of a Counter.
type Counts struct {
	// Unary is the number of unary calls started.
	Unary int64 `json:"unary"`
	// Streams is the number of streams opened.
	Streams int64 `json:"streams"`
	// StreamMessages is the number of messages sent on streams.
	StreamMessages int64 `json:"stream_messages"`
	// StreamReceived is the number of messages received on streams.
	StreamReceived int64 `json:"stream_received"`
}

// Requests is the number of requests sent to etcd: unary calls plus stream
// messages sent. Opening a stream is not a request of its own.
func (c Counts) Requests() int64 { return c.Unary + c.StreamMessages }

// Sub returns c minus before, the requests sent between two snapshots.
func (c Counts) Sub(before Counts) Counts {
	return Counts{
		Unary:          c.Unary - before.Unary,
		Streams:        c.Streams - before.Streams,
		StreamMessages: c.StreamMessages - before.StreamMessages,
		StreamReceived: c.StreamReceived - before.StreamReceived,
	}
}

// Counts returns the current counts.
func (c *Counter) Counts() Counts {
	return Counts{Unary: c.unary.Load(), Streams: c.streams.Load(), StreamMessages: c.messages.Load(), StreamReceived: c.received.Load()}
}

// ByMethod returns the requests counted so far by full gRPC method name,
// e.g. "/etcdserverpb.KV/Txn" (unary calls) or "/etcdserverpb.Watch/Watch"
// (messages sent on its streams). The values sum to Counts().Requests()
// once no request is in flight.
func (c *Counter) ByMethod() map[string]int64 {
	m := map[string]int64{}
	c.byMethod.Range(func(k, v any) bool {
		m[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return m
}

func (c *Counter) count(method string) {
	v, ok := c.byMethod.Load(method)
	if !ok {
		v, _ = c.byMethod.LoadOrStore(method, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

// DialOptions returns the gRPC dial options that install c's interceptors
// after any interceptor the client installs itself.
func (c *Counter) DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(c.UnaryInterceptor),
		grpc.WithChainStreamInterceptor(c.StreamInterceptor),
	}
}

// UnaryInterceptor counts one unary call, then invokes it.
func (c *Counter) UnaryInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	c.unary.Add(1)
	c.count(method)
	return invoker(ctx, method, req, reply, cc, opts...)
}

// StreamInterceptor opens the stream and counts it; the returned stream
// counts every message sent and received on it.
func (c *Counter) StreamInterceptor(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, err
	}
	c.streams.Add(1)
	return &countingStream{ClientStream: s, c: c, method: method}, nil
}

type countingStream struct {
	grpc.ClientStream
	c      *Counter
	method string
}

func (s *countingStream) SendMsg(m any) error {
	s.c.messages.Add(1)
	s.c.count(s.method)
	return s.ClientStream.SendMsg(m)
}

func (s *countingStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil {
		s.c.received.Add(1)
	}
	return err
}
