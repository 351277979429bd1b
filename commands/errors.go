//go:build linux

package commands

import (
	"errors"
	"strings"
	"syscall"

	"github.com/dmctl/dmctl/dmctl"
)

// dmsetupOps are libdm's names for the ioctls (_cmd_data_v4), by dmctl's
// operation names: dmsetup's errors name the ioctl.
var dmsetupOps = map[string]string{
	"create":         "create",
	"table load":     "reload",
	"remove":         "remove",
	"remove all":     "remove_all",
	"suspend":        "suspend",
	"resume":         "resume",
	"info":           "info",
	"deps":           "deps",
	"rename":         "rename",
	"set uuid":       "rename",
	"version":        "version",
	"status":         "status",
	"table":          "table",
	"wait":           "waitevent",
	"list devices":   "names",
	"table clear":    "clear",
	"list versions":  "versions",
	"message":        "message",
	"target version": "get_target_version",
}

// dmsetupVerbOps are the ioctls dmsetup's verbs issue on the device they
// name: dmsetup names a device selected by -u or -j/-m in that ioctl's
// error, where dmctl first looks the device up.
var dmsetupVerbOps = map[string]string{
	"info":    "info",
	"status":  "status",
	"table":   "table",
	"deps":    "deps",
	"remove":  "remove",
	"suspend": "suspend",
	"resume":  "resume",
	"load":    "reload",
	"clear":   "clear",
	"message": "message",
	"wait":    "waitevent",
}

// dmsetupError returns what dmsetup prints on standard error for err, for
// --output dmsetup, so that scripts grepping dmsetup's words keep working:
// "Device does not exist." when info or status finds no device,
// "device-mapper: OP ioctl on NAME  failed: Reason" for another failed
// ioctl, then "Command failed.". ok is false when err (or one of the errors
// joined in it) is not a kernel failure dmsetup would word itself.
func dmsetupError(err error) (text string, ok bool) {
	leaves := []error{err}
	if j, isJoined := err.(interface{ Unwrap() []error }); isJoined {
		leaves = j.Unwrap()
	}
	var b strings.Builder
	for _, leaf := range leaves {
		var de *dmctl.Error
		var se selectionError
		var errno syscall.Errno
		switch {
		case errors.Is(leaf, dmctl.ErrUnavailable):
			b.WriteString("Failure to communicate with kernel device-mapper driver.\n")
		case !errors.As(leaf, &de) || !errors.As(leaf, &errno):
			return "", false
		case errors.As(leaf, &se):
			// libdm names the device as "NAME UUID", with an empty name
			// here, and the number in parentheses for -j/-m.
			op, known := dmsetupVerbOps[se.sel.verb]
			if !known {
				return "", false
			}
			id := se.sel.uuid
			if se.sel.byNo {
				id = "(" + se.sel.dev.String() + ")"
			}
			if (op == "info" || op == "status") && errno == syscall.ENXIO {
				b.WriteString("Device does not exist.\n")
			} else {
				b.WriteString("device-mapper: " + op + " ioctl on  " + id + " failed: " + errnoReason(errno) + "\n")
			}
		case (de.Op == "info" || de.Op == "status") && errno == syscall.ENXIO:
			b.WriteString("Device does not exist.\n")
		default:
			op, known := dmsetupOps[de.Op]
			if strings.HasPrefix(de.Op, "message ") { // "message MSG"
				op, known = "message", true
			}
			if !known {
				return "", false
			}
			b.WriteString("device-mapper: " + op + " ioctl on " + de.Device + "  failed: " + errnoReason(errno) + "\n")
		}
	}
	b.WriteString("Command failed.\n")
	return b.String(), true
}

// errnoReason is strerror's text as libdm prints it, capitalised.
func errnoReason(errno syscall.Errno) string {
	reason := errno.Error()
	if reason != "" {
		reason = strings.ToUpper(reason[:1]) + reason[1:]
	}
	return reason
}
