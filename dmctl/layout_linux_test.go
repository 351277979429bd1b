package dmctl

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestLayout pins the sizes and offsets the encoders and decoders rely on to
// the values of include/uapi/linux/dm-ioctl.h as compiled by gcc on 64-bit
// Linux.
func TestLayout(t *testing.T) {
	tests := []struct {
		name      string
		got, want int
	}{
		{"sizeof(struct dm_ioctl)", headerSize, 312},
		{"offsetof(dm_ioctl, version)", offVersion, 0},
		{"offsetof(dm_ioctl, data_size)", offDataSize, 12},
		{"offsetof(dm_ioctl, data_start)", offDataStart, 16},
		{"offsetof(dm_ioctl, target_count)", offTargetCount, 20},
		{"offsetof(dm_ioctl, open_count)", offOpenCount, 24},
		{"offsetof(dm_ioctl, flags)", offFlags, 28},
		{"offsetof(dm_ioctl, event_nr)", offEventNr, 32},
		{"offsetof(dm_ioctl, dev)", offDev, 40},
		{"offsetof(dm_ioctl, name)", offName, 48},
		{"offsetof(dm_ioctl, uuid)", offUUID, 176},
		{"offsetof(dm_ioctl, data)", offData, 305},
		{"DM_NAME_LEN", nameLen, 128},
		{"DM_UUID_LEN", uuidLen, 129},
		{"MaxNameLen+1", MaxNameLen + 1, 128},
		{"MaxUUIDLen+1", MaxUUIDLen + 1, 129},
		{"sizeof(struct dm_target_spec)", specSize, 40},
		{"offsetof(dm_target_spec, sector_start)", offSpecStart, 0},
		{"offsetof(dm_target_spec, length)", offSpecLength, 8},
		{"offsetof(dm_target_spec, status)", offSpecStatus, 16},
		{"offsetof(dm_target_spec, next)", offSpecNext, 20},
		{"offsetof(dm_target_spec, target_type)", offSpecType, 24},
		{"DM_MAX_TYPE_NAME", typeLen, 16},
		{"len(dm_target_spec.target_type)", len(unix.DmTargetSpec{}.Target_type), typeLen},
		{"sizeof(struct dm_target_msg)", msgSize, 8},
		{"sizeof(struct dm_target_deps)", depsHeaderSize, 8},
		{"sizeof(struct dm_target_versions)", versionsHdrSize, 16},
		{"offsetof(dm_name_list, name)", nameListNameOff, 12},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// TestIoctlNumbers pins the request numbers (x86-64 and the other
// architectures that share the generic ioctl encoding).
func TestIoctlNumbers(t *testing.T) {
	tests := []struct {
		name      string
		got, want uint64
	}{
		{"DM_VERSION", unix.DM_VERSION, 0xc138fd00},
		{"DM_REMOVE_ALL", unix.DM_REMOVE_ALL, 0xc138fd01},
		{"DM_LIST_DEVICES", unix.DM_LIST_DEVICES, 0xc138fd02},
		{"DM_DEV_CREATE", unix.DM_DEV_CREATE, 0xc138fd03},
		{"DM_DEV_REMOVE", unix.DM_DEV_REMOVE, 0xc138fd04},
		{"DM_DEV_RENAME", unix.DM_DEV_RENAME, 0xc138fd05},
		{"DM_DEV_SUSPEND", unix.DM_DEV_SUSPEND, 0xc138fd06},
		{"DM_DEV_STATUS", unix.DM_DEV_STATUS, 0xc138fd07},
		{"DM_DEV_WAIT", unix.DM_DEV_WAIT, 0xc138fd08},
		{"DM_TABLE_LOAD", unix.DM_TABLE_LOAD, 0xc138fd09},
		{"DM_TABLE_CLEAR", unix.DM_TABLE_CLEAR, 0xc138fd0a},
		{"DM_TABLE_DEPS", unix.DM_TABLE_DEPS, 0xc138fd0b},
		{"DM_TABLE_STATUS", unix.DM_TABLE_STATUS, 0xc138fd0c},
		{"DM_LIST_VERSIONS", unix.DM_LIST_VERSIONS, 0xc138fd0d},
		{"DM_TARGET_MSG", unix.DM_TARGET_MSG, 0xc138fd0e},
		{"DM_GET_TARGET_VERSION", unix.DM_GET_TARGET_VERSION, 0xc138fd11},
		{"FITRIM", fitrim, 0xc0185879},
	}
	if unix.DM_VERSION != 0xc138fd00 {
		t.Skipf("DM_VERSION = %#x: not the generic ioctl encoding", unix.DM_VERSION)
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
}

// TestFlagValues pins the dm_ioctl flag bits to dm-ioctl.h.
func TestFlagValues(t *testing.T) {
	tests := []struct {
		name      string
		got, want Flags
	}{
		{"DM_READONLY_FLAG", FlagReadOnly, unix.DM_READONLY_FLAG},
		{"DM_SUSPEND_FLAG", FlagSuspended, unix.DM_SUSPEND_FLAG},
		{"DM_PERSISTENT_DEV_FLAG", flagPersistentDev, unix.DM_PERSISTENT_DEV_FLAG},
		{"DM_STATUS_TABLE_FLAG", flagStatusTable, unix.DM_STATUS_TABLE_FLAG},
		{"DM_ACTIVE_PRESENT_FLAG", FlagActivePresent, unix.DM_ACTIVE_PRESENT_FLAG},
		{"DM_INACTIVE_PRESENT_FLAG", FlagInactivePresent, unix.DM_INACTIVE_PRESENT_FLAG},
		{"DM_BUFFER_FULL_FLAG", FlagBufferFull, unix.DM_BUFFER_FULL_FLAG},
		{"DM_SKIP_LOCKFS_FLAG", flagSkipLockFS, unix.DM_SKIP_LOCKFS_FLAG},
		{"DM_NOFLUSH_FLAG", flagNoFlush, unix.DM_NOFLUSH_FLAG},
		{"DM_QUERY_INACTIVE_TABLE_FLAG", flagQueryInactive, unix.DM_QUERY_INACTIVE_TABLE_FLAG},
		{"DM_UEVENT_GENERATED_FLAG", FlagUeventGenerated, unix.DM_UEVENT_GENERATED_FLAG},
		{"DM_UUID_FLAG", flagUUID, unix.DM_UUID_FLAG},
		{"DM_DATA_OUT_FLAG", FlagDataOut, unix.DM_DATA_OUT_FLAG},
		{"DM_DEFERRED_REMOVE", FlagDeferredRemove, unix.DM_DEFERRED_REMOVE},
		{"DM_DEFERRED_REMOVE (request)", flagDeferredRemove, unix.DM_DEFERRED_REMOVE},
		{"DM_INTERNAL_SUSPEND_FLAG", FlagInternalSuspend, unix.DM_INTERNAL_SUSPEND_FLAG},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, uint32(tc.got), uint32(tc.want))
		}
	}
}
