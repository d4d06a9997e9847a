// Package logind talks to systemd-logind (org.freedesktop.login1) over
// D-Bus: it asks for a reboot and lists the interactive user sessions, so
// that locksmithd can delay a reboot while people are logged in.
//
// go-systemd's login1 package is not used because its Reboot discards the
// call's error; here every call's error is returned.
package logind
