package etcdclient_test

import (
	"reflect"
	"testing"

	"github.com/spf13/pflag"

	"locksmith.dev/locksmith/internal/etcdclient"
)

func TestRegisterFlags(t *testing.T) {
	var c etcdclient.Config
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	c.RegisterFlags(fs)
	if !reflect.DeepEqual(c.Endpoints, []string{etcdclient.DefaultEndpoint}) {
		t.Fatalf("default endpoints %q", c.Endpoints)
	}
	err := fs.Parse([]string{"--endpoint=http://a:2379,http://b:2379", "--endpoint=http://c:2379",
		"--etcd-cafile=ca.pem", "--etcd-certfile=c.pem", "--etcd-keyfile=k.pem",
		"--etcd-username=u", "--etcd-password=p", "--etcd-password-file=pw"})
	if err != nil {
		t.Fatal(err)
	}
	want := etcdclient.Config{
		Endpoints: []string{"http://a:2379", "http://b:2379", "http://c:2379"},
		CAFile:    "ca.pem", CertFile: "c.pem", KeyFile: "k.pem",
		Username: "u", Password: "p", PasswordFile: "pw",
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("config %+v, want %+v", c, want)
	}
}
