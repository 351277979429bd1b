package dmctl

import (
	"bytes"
	"fmt"

	"golang.org/x/sys/unix"
)

// RawReply sends one data-returning request as the Control methods build
// it and returns the reply's header info and raw data area, for the kernel
// tests that capture real replies into testdata/replies. kind is one of
// list, list-uuids, status, table, deps, versions, target-version (arg:
// the target), message (arg: the message, to sector 0) and wait (arg: the
// event number, in decimal).
func (c *Control) RawReply(kind, name, arg string) (DeviceInfo, []byte, error) {
	r := &request{op: kind, name: name, sizing: sizeReply}
	switch kind {
	case "list":
		r.cmd, r.name, r.sizing = unix.DM_LIST_DEVICES, "", sizeList
	case "list-uuids":
		r.cmd, r.name, r.flags, r.sizing = unix.DM_LIST_DEVICES, "", flagUUID, sizeList
	case "status":
		r.cmd = unix.DM_TABLE_STATUS
	case "table":
		r.cmd, r.flags = unix.DM_TABLE_STATUS, flagStatusTable
	case "deps":
		r.cmd = unix.DM_TABLE_DEPS
	case "versions":
		r.cmd, r.name = unix.DM_LIST_VERSIONS, ""
	case "target-version":
		// get_target_version reads the target's name from the header's
		// name field.
		r.cmd, r.name = unix.DM_GET_TARGET_VERSION, arg
	case "message":
		r.cmd, r.payload = unix.DM_TARGET_MSG, encodeMessage(0, arg)
	case "wait":
		r.cmd = unix.DM_DEV_WAIT
		if _, err := fmt.Sscan(arg, &r.eventNr); err != nil {
			return DeviceInfo{}, nil, err
		}
	default:
		return DeviceInfo{}, nil, fmt.Errorf("unknown reply kind %q", kind)
	}
	var data []byte
	rep, err := c.run(r, func(rep reply) error {
		data = bytes.Clone(rep.data)
		return nil
	})
	return rep.info, data, err
}

// HexLines renders b as lines of 32 hex digits, as testdata/replies holds
// them.
func HexLines(b []byte) string { return hexLines(b) }
