package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// DefaultOSReleaseFile is the default of --os-release-file.
const DefaultOSReleaseFile = "/etc/os-release"

// validateAddress checks a --metrics-address: "" or host:port with a port number (0 picks a free
// port, which the log names).
func validateAddress(addr string) error {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	return nil
}

// validateURL checks a --notify-url: "" or an http(s) URL with a host.
func validateURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q is not an http or https URL", raw)
	case u.Host == "":
		return errors.New(raw + " has no host")
	}
	return nil
}
