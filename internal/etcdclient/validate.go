package etcdclient

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
)

// ErrInvalidConfig is wrapped by every error Validate and CheckFiles
// return, and by the errors of New that are due to a setting or a file.
var ErrInvalidConfig = errors.New("invalid etcd connection settings")

// Permanent reports whether err, an error of New or Connect, is due to the settings (invalid,
// or a user name and password that etcd refused), so that trying again cannot help; not when
// etcd answered late or not at all (under etcd's authentication, New waits for its token).
func Permanent(err error) bool {
	return errors.Is(err, ErrInvalidConfig) || errors.Is(err, rpctypes.ErrAuthFailed)
}

// The names of the settings in [FieldError.Field]: the flags that set them
// in locksmithd and locksmithctl, without the dashes.
const (
	FieldEndpoint     = "endpoint"
	FieldCAFile       = "etcd-cafile"
	FieldCertFile     = "etcd-certfile"
	FieldKeyFile      = "etcd-keyfile"
	FieldUsername     = "etcd-username"
	FieldPassword     = "etcd-password"
	FieldPasswordFile = "etcd-password-file"
	FieldDialTimeout  = "dial-timeout"
)

// FieldError is a setting at fault. It wraps ErrInvalidConfig and Err.
type FieldError struct {
	// Field names the setting, one of the Field constants.
	Field string
	// Value is the value at fault (one endpoint of a list, a file name);
	// it is empty for FieldPassword, whose value no message shows.
	Value string
	// Problem says what is wrong, worded to follow the value, e.g. "is
	// not an http://, https:// or unix:// URL with a host".
	Problem string
	// Err is the underlying error (reading or parsing a file), or nil.
	Err error
}

// Error returns `invalid etcd connection settings: FIELD "VALUE" PROBLEM[: ERR]`.
func (e *FieldError) Error() string {
	return ErrInvalidConfig.Error() + ": " + e.format(e.Field, " ")
}

// Describe returns the error's text with name standing for the setting,
// as `NAME="VALUE" PROBLEM[: ERR]` (without the value for a password), for
// a program that names its settings otherwise (e.g.
// `$LOCKSMITHD_ETCD_CAFILE (--etcd-cafile)`).
func (e *FieldError) Describe(name string) string { return e.format(name, "=") }

func (e *FieldError) format(name, sep string) string {
	s := name
	if e.Field != FieldPassword {
		s += sep + strconv.Quote(e.Value)
	}
	s += " " + e.Problem
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrInvalidConfig and Err.
func (e *FieldError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidConfig}
	}
	return []error{ErrInvalidConfig, e.Err}
}

// Validate checks the settings without touching the network or the files
// (see CheckFiles). A setting at fault is returned as a *FieldError.
func (c Config) Validate() error {
	for _, ep := range c.endpoints() {
		u, err := url.Parse(ep)
		if err != nil || u.Host == "" && u.Scheme != "unix" || u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "unix" {
			return &FieldError{Field: FieldEndpoint, Value: ep, Problem: "is not an http://, https:// or unix:// URL with a host"}
		}
	}
	switch {
	case c.CertFile != "" && c.KeyFile == "":
		return &FieldError{Field: FieldCertFile, Value: c.CertFile,
			Problem: "is a client certificate without its key (--" + FieldKeyFile + "); the two must be given together"}
	case c.KeyFile != "" && c.CertFile == "":
		return &FieldError{Field: FieldKeyFile, Value: c.KeyFile,
			Problem: "is a client key without its client certificate (--" + FieldCertFile + "); the two must be given together"}
	case c.Password != "" && c.PasswordFile != "":
		return &FieldError{Field: FieldPasswordFile, Value: c.PasswordFile,
			Problem: "is given with a password too; give either a password or a password file, not both"}
	case c.Username == "" && c.Password != "":
		return &FieldError{Field: FieldPassword, Problem: "is given without a user name (--" + FieldUsername + ")"}
	case c.Username == "" && c.PasswordFile != "":
		return &FieldError{Field: FieldPasswordFile, Value: c.PasswordFile, Problem: "is given without a user name (--" + FieldUsername + ")"}
	case c.DialTimeout < 0:
		return &FieldError{Field: FieldDialTimeout, Value: c.DialTimeout.String(), Problem: "is negative"}
	}
	return nil
}

// Warnings lists settings that are legal but probably not what the
// operator meant, such as TLS files with only plain-HTTP endpoints (the
// files are then unused).
func (c Config) Warnings() []string {
	var w []string
	if c.CAFile != "" || c.CertFile != "" {
		tlsEndpoint := false
		for _, ep := range c.endpoints() {
			tlsEndpoint = tlsEndpoint || strings.HasPrefix(ep, "https://")
		}
		if !tlsEndpoint {
			w = append(w, "TLS files are set but no endpoint uses https://; they are not used")
		}
	}
	return w
}

// endpoints returns c.Endpoints without blanks around them and without
// empty ones, or DefaultEndpoint when none is left.
func (c Config) endpoints() []string {
	var eps []string
	for _, ep := range c.Endpoints {
		if ep = strings.TrimSpace(ep); ep != "" {
			eps = append(eps, ep)
		}
	}
	if len(eps) == 0 {
		return []string{DefaultEndpoint}
	}
	return eps
}
