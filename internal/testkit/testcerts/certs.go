// Package testcerts writes a throw-away certificate authority, a server
// certificate for 127.0.0.1/localhost and a client certificate, for tests
// that run etcd over TLS.
package testcerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Files names the PEM files Write produced.
type Files struct {
	CACert, CAKey         string
	ServerCert, ServerKey string
	ClientCert, ClientKey string
}

// Write creates the files in dir. The certificates are valid for one day.
func Write(dir string) (Files, error) {
	f := Files{
		CACert: filepath.Join(dir, "ca.pem"), CAKey: filepath.Join(dir, "ca-key.pem"),
		ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server-key.pem"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client-key.pem"),
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, fmt.Errorf("generate CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "locksmith test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return f, fmt.Errorf("create CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return f, fmt.Errorf("parse CA certificate: %w", err)
	}
	if err := writePair(f.CACert, f.CAKey, caDER, caKey); err != nil {
		return f, err
	}
	leaves := []struct {
		serial    int64
		name      string
		usage     x509.ExtKeyUsage
		cert, key string
	}{
		{2, "localhost", x509.ExtKeyUsageServerAuth, f.ServerCert, f.ServerKey},
		{3, "locksmith-client", x509.ExtKeyUsageClientAuth, f.ClientCert, f.ClientKey},
	}
	for _, l := range leaves {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return f, fmt.Errorf("generate %s key: %w", l.name, err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(l.serial),
			Subject:      pkix.Name{CommonName: l.name},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{l.usage},
			DNSNames:     []string{"localhost"},
			IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return f, fmt.Errorf("create %s certificate: %w", l.name, err)
		}
		if err := writePair(l.cert, l.key, der, key); err != nil {
			return f, err
		}
	}
	return f, nil
}

// WriteT is Write into t.TempDir(), failing the test on error.
func WriteT(tb testing.TB) Files {
	tb.Helper()
	f, err := Write(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("marshal key: %w", err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("write certificate: %w", err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	return nil
}
