package updateengine_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"locksmith.dev/locksmith/internal/testkit/dbustest"
	"locksmith.dev/locksmith/updateengine"
)

func TestGetStatus(t *testing.T) {
	f := newFixture(t, idle)
	f.ue.SetStatus(downloading)
	st, err := f.client.GetStatus(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st != downloading {
		t.Fatalf("GetStatus = %+v, want %+v", st, downloading)
	}
	if st.NeedReboot() {
		t.Error("NeedReboot true for a download")
	}
	if !needReboot("1").NeedReboot() {
		t.Error("NeedReboot false for UPDATE_STATUS_UPDATED_NEED_REBOOT")
	}
}

// serveBrokenUpdateEngine owns update_engine's name on b with a GetStatus
// method of the wrong shape.
func serveBrokenUpdateEngine(t *testing.T, b *dbustest.Bus, getStatus any) {
	t.Helper()
	conn := b.ConnectT(t)
	if err := conn.ExportMethodTable(map[string]any{"GetStatus": getStatus}, updateengine.ObjectPath, updateengine.Interface); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(updateengine.BusName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName: %v, %v", reply, err)
	}
}

func TestGetStatusRejectsMalformedReply(t *testing.T) {
	for _, tc := range []struct {
		name      string
		getStatus any
		want      string
	}{
		{"short", func() (int64, string, *dbus.Error) { return 1, "x", nil }, `signature "xs", want "xdssx"`},
		{"wrong type", func() (int64, float64, string, string, int32, *dbus.Error) {
			return 1, 0, updateengine.StatusNeedReboot, "", 0, nil
		}, `signature "xdssi", want "xdssx"`},
		{"empty", func() *dbus.Error { return nil }, `signature "", want "xdssx"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := dbustest.StartBusT(t)
			serveBrokenUpdateEngine(t, b, tc.getStatus)
			client := updateengine.New(b.ConnectT(t), nil)
			_, err := client.GetStatus(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "GetStatus reply") {
				t.Fatalf("GetStatus error = %v, want one about the GetStatus reply with %s", err, tc.want)
			}
			// WaitNeedReboot cannot start from a status it cannot read.
			_, err = client.WaitNeedReboot(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WaitNeedReboot error = %v, want one with %s", err, tc.want)
			}
		})
	}
}

func TestGetStatusWithoutUpdateEngine(t *testing.T) {
	b := dbustest.StartBusT(t)
	_, err := updateengine.New(b.ConnectT(t), nil).GetStatus(t.Context())
	if err == nil || !strings.Contains(err.Error(), "org.freedesktop.DBus.Error.ServiceUnknown") {
		t.Fatalf("GetStatus error = %v, want ServiceUnknown", err)
	}
	var dbusErr dbus.Error
	if !errors.As(err, &dbusErr) {
		t.Errorf("GetStatus error %v does not wrap the dbus.Error", err)
	}
}

func TestGetStatusOnClosedConnection(t *testing.T) {
	b := dbustest.StartBusT(t)
	conn := b.ConnectT(t)
	client := updateengine.New(conn, nil)
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetStatus(t.Context()); !errors.Is(err, updateengine.ErrDisconnected) {
		t.Fatalf("GetStatus error = %v, want ErrDisconnected", err)
	}
}

func TestEmitStatusUpdate(t *testing.T) {
	b := dbustest.StartBusT(t)
	receiver := b.ConnectT(t)
	signals := make(chan *dbus.Signal, 8)
	receiver.Signal(signals)
	if err := receiver.AddMatchSignal(dbus.WithMatchInterface(updateengine.Interface)); err != nil {
		t.Fatal(err)
	}
	emitter := b.ConnectT(t)
	if err := updateengine.EmitStatusUpdate(emitter, needReboot("5")); err != nil {
		t.Fatal(err)
	}
	sig := nextStatusUpdate(t, signals)
	if sig.Sender != emitter.Names()[0] || sig.Path != updateengine.ObjectPath {
		t.Errorf("signal from %s at %s, want from %s at %s", sig.Sender, sig.Path, emitter.Names()[0], updateengine.ObjectPath)
	}
	if want := needReboot("5").Body(); !reflect.DeepEqual(sig.Body, want) {
		t.Errorf("signal body = %#v, want %#v", sig.Body, want)
	}
	if err := emitter.Close(); err != nil {
		t.Fatal(err)
	}
	if err := updateengine.EmitStatusUpdate(emitter, idle); err == nil {
		t.Error("EmitStatusUpdate on a closed connection succeeded")
	}
}

// nextStatusUpdate returns the next StatusUpdate signal on signals, skipping
// others (such as the bus's NameAcquired), failing the test after
// waitTimeout.
func nextStatusUpdate(t *testing.T, signals <-chan *dbus.Signal) *dbus.Signal {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case sig, ok := <-signals:
			if !ok {
				t.Fatal("connection closed before a StatusUpdate signal arrived")
			}
			if sig.Name == updateengine.Interface+"."+updateengine.SignalStatusUpdate {
				return sig
			}
		case <-deadline:
			t.Fatal("no StatusUpdate signal received")
			return nil
		}
	}
}
