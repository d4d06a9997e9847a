// Package dbustest runs a private D-Bus bus for tests and serves stand-ins
// for the services locksmith talks to, so that every call in a test crosses
// the real D-Bus wire protocol through a real dbus-daemon.
//
// [StartBus] starts dbus-daemon with its own configuration file and socket in
// a directory the caller owns; [StartBusT] does the same for a test and
// stops the bus when the test ends. [ServeUpdateEngine] owns
// com.coreos.update1 on such a bus with a status the test sets and signals
// the test emits; [ServeLogind] owns org.freedesktop.login1, records Reboot
// calls, can be told to fail them and reports the sessions the test sets.
//
// Processes other than the test (a daemon under test, a shell script) reach
// the bus through its address ([Bus.Address]), typically passed as
// DBUS_SYSTEM_BUS_ADDRESS. The program in cmd/dbus-harness runs a bus with
// both stand-ins and is steered by line commands on its standard input.
package dbustest
