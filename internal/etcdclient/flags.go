package etcdclient

import "github.com/spf13/pflag"

// RegisterFlags defines on fs the options of the etcd connection, shared
// by locksmithd and locksmithctl, storing into c: --endpoint (default
// [DefaultEndpoint]), --etcd-cafile, --etcd-certfile, --etcd-keyfile,
// --etcd-username, --etcd-password and --etcd-password-file. DialTimeout
// is left to the caller.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&c.Endpoints, "endpoint", []string{DefaultEndpoint}, "etcd endpoint URLs, comma-separated or repeated")
	fs.StringVar(&c.CAFile, "etcd-cafile", "", "PEM file of the CA that signed the etcd servers' certificates")
	fs.StringVar(&c.CertFile, "etcd-certfile", "", "PEM client certificate for etcd (with --etcd-keyfile)")
	fs.StringVar(&c.KeyFile, "etcd-keyfile", "", "PEM key of the etcd client certificate")
	fs.StringVar(&c.Username, "etcd-username", "", "etcd user name")
	fs.StringVar(&c.Password, "etcd-password", "", "etcd password")
	fs.StringVar(&c.PasswordFile, "etcd-password-file", "", "file whose first line is the etcd password (instead of --etcd-password)")
}
