package etcdclient

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
)

// CheckFiles reads the TLS and password files of c and checks that they
// parse, as New does, without making a client: a program calls it at
// start to reject a bad file before it needs etcd. A file at fault is
// returned as a *FieldError naming its setting. Call Validate first.
func (c Config) CheckFiles() error {
	_, err := c.load()
	return err
}

// loaded is what c's files hold.
type loaded struct {
	tls      *tls.Config // nil without TLS files
	password string      // the first line of PasswordFile
}

// load reads and parses c's files.
func (c Config) load() (loaded, error) {
	var l loaded
	if c.PasswordFile != "" {
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return l, &FieldError{Field: FieldPasswordFile, Value: c.PasswordFile, Problem: "is unusable: cannot read etcd password file", Err: err}
		}
		l.password, _, _ = strings.Cut(string(b), "\n")
		l.password = strings.TrimSuffix(l.password, "\r")
		if l.password == "" {
			return l, &FieldError{Field: FieldPasswordFile, Value: c.PasswordFile, Problem: "is unusable: its first line, the password, is empty"}
		}
	}
	if c.CAFile == "" && c.CertFile == "" {
		return l, nil
	}
	l.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pool, err := readCA(c.CAFile)
		if err != nil {
			return l, err
		}
		l.tls.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := readKeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return l, err
		}
		l.tls.Certificates = []tls.Certificate{cert}
	}
	return l, nil
}

// readCA reads a PEM bundle of CA certificates.
func readCA(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &FieldError{Field: FieldCAFile, Value: path, Problem: "is unusable: cannot read etcd CA file", Err: err}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, &FieldError{Field: FieldCAFile, Value: path, Problem: "is unusable: no PEM certificate found in etcd CA file"}
	}
	return pool, nil
}

// readKeyPair reads a client certificate and its key, and tells which
// file is at fault.
func readKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, &FieldError{Field: FieldCertFile, Value: certFile, Problem: "is unusable: cannot read etcd client certificate", Err: err}
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, &FieldError{Field: FieldKeyFile, Value: keyFile, Problem: "is unusable: cannot read etcd client key", Err: err}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err == nil {
		return cert, nil
	}
	if !holdsCertificate(certPEM) {
		return tls.Certificate{}, &FieldError{Field: FieldCertFile, Value: certFile, Problem: "is unusable: no PEM certificate found in etcd client certificate file"}
	}
	return tls.Certificate{}, &FieldError{Field: FieldKeyFile, Value: keyFile,
		Problem: "is unusable as the key of etcd client certificate " + certFile, Err: err}
}

// holdsCertificate reports whether b has a parsable PEM certificate.
func holdsCertificate(b []byte) bool {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return false
		}
		if blk.Type == "CERTIFICATE" {
			_, err := x509.ParseCertificate(blk.Bytes)
			return err == nil
		}
	}
}
