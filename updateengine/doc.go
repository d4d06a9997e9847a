// Package updateengine is a client of update_engine, the OS updater, over
// D-Bus: it reads the updater's status and waits until the updater says that a
// reboot is needed.
//
// update_engine owns the bus name [BusName] and exports [Interface] at
// [ObjectPath]. Its GetStatus method and its StatusUpdate signal both carry
// the same five values (signature "xdssx"), decoded into a [Status].
//
// Signals are treated as hints, never as facts. [Client.WaitNeedReboot]
// subscribes before it asks, accepts a StatusUpdate only from the connection
// that currently owns [BusName] (any local program can emit a signal with the
// same interface and member), follows the name to a new owner when
// update_engine restarts, and confirms every "reboot needed" hint with
// GetStatus before it counts. Malformed replies and signals are reported (as
// errors or logged), never trusted and never a panic.
//
// [EmitStatusUpdate] sends the StatusUpdate signal itself; it exists for
// `locksmithctl send-need-reboot`, which old tools used to fake update_engine.
package updateengine
