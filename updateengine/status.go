package updateengine

import (
	"fmt"

	"github.com/godbus/dbus/v5"
)

// D-Bus coordinates of update_engine.
const (
	// BusName is the well-known bus name update_engine owns.
	BusName = "com.coreos.update1"
	// ObjectPath is the object update_engine exports.
	ObjectPath = "/com/coreos/update1"
	// Interface is the interface of [ObjectPath] with GetStatus and StatusUpdate.
	Interface = "com.coreos.update1.Manager"
	// SignalStatusUpdate is the member name of the status signal of [Interface].
	SignalStatusUpdate = "StatusUpdate"

	methodGetStatus = Interface + ".GetStatus"
	signalName      = Interface + "." + SignalStatusUpdate
	// statusSignature is the D-Bus signature of a status body: last checked
	// time, progress, current operation, new version, new size.
	statusSignature = "xdssx"
)

// Operations update_engine reports in [Status.CurrentOperation].
const (
	StatusIdle                = "UPDATE_STATUS_IDLE"
	StatusCheckingForUpdate   = "UPDATE_STATUS_CHECKING_FOR_UPDATE"
	StatusUpdateAvailable     = "UPDATE_STATUS_UPDATE_AVAILABLE"
	StatusDownloading         = "UPDATE_STATUS_DOWNLOADING"
	StatusVerifying           = "UPDATE_STATUS_VERIFYING"
	StatusFinalizing          = "UPDATE_STATUS_FINALIZING"
	StatusNeedReboot          = "UPDATE_STATUS_UPDATED_NEED_REBOOT"
	StatusReportingErrorEvent = "UPDATE_STATUS_REPORTING_ERROR_EVENT"
)

// Status is what update_engine reports, from GetStatus or a StatusUpdate
// signal.
type Status struct {
	// LastCheckedTime is when update_engine last checked for an update, in
	// seconds since the Unix epoch.
	LastCheckedTime int64
	// Progress is the progress of the current operation, from 0 to 1.
	Progress float64
	// CurrentOperation is one of the Status* operation names.
	CurrentOperation string
	// NewVersion is the version being or having been installed, if any.
	NewVersion string
	// NewSize is the size in bytes of the update payload, if any.
	NewSize int64
}

// NeedReboot reports whether s says that an update is installed and the
// machine must reboot to use it.
func (s Status) NeedReboot() bool {
	return s.CurrentOperation == StatusNeedReboot
}

// Body returns s as the values of a GetStatus reply or StatusUpdate signal, in
// wire order.
func (s Status) Body() []any {
	return []any{s.LastCheckedTime, s.Progress, s.CurrentOperation, s.NewVersion, s.NewSize}
}

// parseStatus decodes the body of a GetStatus reply or StatusUpdate signal. A
// body of another length or other types is an error naming its signature.
func parseStatus(body []any) (Status, error) {
	if sig := dbus.SignatureOf(body...).String(); sig != statusSignature {
		return Status{}, fmt.Errorf("status body has signature %q, want %q", sig, statusSignature)
	}
	// The signature check guarantees every assertion below.
	return Status{
		LastCheckedTime:  body[0].(int64),
		Progress:         body[1].(float64),
		CurrentOperation: body[2].(string),
		NewVersion:       body[3].(string),
		NewSize:          body[4].(int64),
	}, nil
}
