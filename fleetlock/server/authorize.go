package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// CertificateAuthorizer is a Config.Authorize for mutual TLS: the client certificate must
// name the id it locks or unlocks, as its subject's common name, a DNS name, an e-mail address
// or a URI, so that one node cannot take or give back another's slot. A request without a
// verified client certificate is refused.
func CertificateAuthorizer(r *http.Request, id string) error {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return errors.New("no client certificate")
	}
	cert := r.TLS.PeerCertificates[0]
	names := append([]string{cert.Subject.CommonName}, cert.DNSNames...)
	names = append(names, cert.EmailAddresses...)
	for _, u := range cert.URIs {
		names = append(names, u.String())
	}
	if slices.Contains(names, id) {
		return nil
	}
	return fmt.Errorf("the client certificate (subject %q) does not name it", cert.Subject.CommonName)
}
