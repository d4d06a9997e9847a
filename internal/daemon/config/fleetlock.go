package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/fleetlock"
)

// FleetLock holds the settings of the FleetLock backend: with a URL, strategy etcd-lock takes
// its slot from that FleetLock server instead of etcd, and locksmithd needs no etcd settings.
type FleetLock struct {
	URL          string        // base URL of the server; "" means etcd
	PollInterval time.Duration // mean period of polls against a server without the long-poll extension
	CAFile       string        // PEM CA of the server's certificate; "" for the host's CAs
	CertFile     string        // PEM client certificate, for servers that bind ids to certificates
	KeyFile      string
	// TLS is the client's TLS configuration, loaded from the files; nil for the defaults.
	TLS *tls.Config
}

func (f *FleetLock) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.URL, "fleetlock-url", "", "base URL of a FleetLock server (locksmith-fleetlockd, airlock…): with strategy etcd-lock, take the slot there instead of in etcd, and need no etcd settings")
	fs.DurationVar(&f.PollInterval, "fleetlock-poll-interval", fleetlock.DefaultPollInterval, "mean period (±20% jitter) of the tries to take a slot from a FleetLock server that cannot hold a request open until a slot frees (the long-poll extension)")
	fs.StringVar(&f.CAFile, "fleetlock-cafile", "", "PEM file of the CA that signed the FleetLock server's certificate (default: the host's CAs)")
	fs.StringVar(&f.CertFile, "fleetlock-certfile", "", "PEM client certificate for the FleetLock server (with --fleetlock-keyfile); it must name this machine's id when the server binds ids to certificates")
	fs.StringVar(&f.KeyFile, "fleetlock-keyfile", "", "PEM key of --fleetlock-certfile")
}

// validate checks the FleetLock settings of s and loads their files.
func (f *FleetLock) validate(p source, s Settings) error {
	if f.URL == "" {
		for _, name := range []string{"fleetlock-cafile", "fleetlock-certfile", "fleetlock-keyfile"} {
			if v, _ := p.fs.GetString(name); v != "" {
				return p.invalid(name, errors.New("needs --fleetlock-url"))
			}
		}
		return nil
	}
	u, err := url.Parse(f.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return p.invalid("fleetlock-url", errors.New("want an http:// or https:// URL with a host"))
	}
	if f.PollInterval <= 0 {
		return p.invalid("fleetlock-poll-interval", errors.New("must be positive"))
	}
	if s.LockTTL > 0 {
		return p.invalid("lock-ttl", errors.New("stale slots cannot be removed through FleetLock; leave it to the server's operator (locksmithctl remove-stale)"))
	}
	if !fleetlock.GroupPattern.MatchString(fleetlock.FleetLockGroup(s.Group)) {
		return p.invalid("group", fmt.Errorf("a FleetLock group must match %s", fleetlock.GroupPattern))
	}
	if (f.CertFile == "") != (f.KeyFile == "") {
		return p.invalid("fleetlock-certfile", errors.New("--fleetlock-certfile and --fleetlock-keyfile go together"))
	}
	if f.CAFile == "" && f.CertFile == "" {
		return nil
	}
	f.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return p.invalid("fleetlock-cafile", err)
		}
		f.TLS.RootCAs = x509.NewCertPool()
		if !f.TLS.RootCAs.AppendCertsFromPEM(pem) {
			return p.invalid("fleetlock-cafile", errors.New("no PEM certificate in it"))
		}
	}
	if f.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return p.invalid("fleetlock-certfile", err)
		}
		f.TLS.Certificates = []tls.Certificate{cert}
	}
	return nil
}
