// Package fleetlock is FleetLock, the reboot-lock HTTP protocol of Zincati: its messages and
// errors, a [Client], and [NodeLock], which lets locksmithd take its slot through any FleetLock
// server. Package fleetlock/server is the server, on locksmith's etcd semaphore; this package
// links no etcd client.
//
// # Protocol
//
// A client POSTs {"client_params":{"id":ID,"group":GROUP}} with the header
// "fleet-lock-protocol: true" to /v1/pre-reboot to take a reboot slot, and to /v1/steady-state
// to give it back. 200 is success; any failure is a 4xx or 5xx with a JSON body
// {"kind":KIND,"value":TEXT}, KIND one of the Kind constants. Locks are owned and recursive: a
// holder's second pre-reboot succeeds, a steady-state from a non-holder succeeds and changes
// nothing.
//
// # One semaphore
//
// The server (package fleetlock/server) takes and gives back slots through package semaphore, on the same keys and value as
// locksmithd and locksmithctl: group "default" is locksmith's default group, any other group G
// is locksmith's group G. One max counts every kind of node, and locksmithctl status lists
// FleetLock holders like any other.
//
// # Fair waiting, and the long-poll extension
//
// A pre-reboot that finds no free slot gives the client a place in the semaphore's FIFO queue,
// beside locksmithd's waiters: the server waits for the slot on the client's behalf. A client
// that polls (Zincati polls about every five minutes) keeps its place as long as it comes back
// within the server's claim timeout; when the queue admits it while it is away, the slot is its
// own and its next pre-reboot gets 200. A slot admitted to a client that does not come back
// within the claim timeout is given back, so that no free slot stays idle longer than that.
//
// The extension is a request header, "fleet-lock-wait: SECONDS" (a decimal number). A server
// that knows it holds a pre-reboot open until the client holds a slot or SECONDS pass (at most
// its own limit), and answers with the same header naming the wait it granted. Servers that do
// not know it (airlock) ignore the header and answer at once, without it; Zincati does not send
// it. A [Client] therefore waits in one request against this server, and polls others.
package fleetlock
