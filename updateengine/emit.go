package updateengine

import (
	"fmt"

	"github.com/godbus/dbus/v5"
)

// EmitStatusUpdate broadcasts a StatusUpdate signal carrying st from
// [ObjectPath] on conn, as update_engine does. It returns an error if the
// signal cannot be sent (for example a closed connection).
//
// Receivers that check the sender, such as [Client.WaitNeedReboot], ignore the
// signal unless conn owns [BusName]; old locksmith versions act on it.
func EmitStatusUpdate(conn *dbus.Conn, st Status) error {
	if err := conn.Emit(ObjectPath, signalName, st.Body()...); err != nil {
		return fmt.Errorf("updateengine: emit %s: %w", SignalStatusUpdate, err)
	}
	return nil
}
