package thinmeta

import (
	"encoding/binary"
	"fmt"
	"math"
)

// detailsSize is the size of struct disk_device_details.
const detailsSize = 24

// DeviceDetails is a thin device's entry in the device-details btree.
type DeviceDetails struct {
	ID              uint32 // thin device id
	MappedBlocks    uint64 // mapped data blocks, as the kernel counts them
	TransactionID   uint64 // pool transaction id when the device was created
	CreationTime    uint32 // pool time when it was created
	SnapshottedTime uint32 // pool time when it was last snapshotted (or created)
}

func parseDetails(leaf, key uint64, v []byte) (DeviceDetails, error) {
	id, err := thinID(leaf, key)
	if err != nil {
		return DeviceDetails{}, err
	}
	le := binary.LittleEndian
	return DeviceDetails{
		ID:              id,
		MappedBlocks:    le.Uint64(v[0:]),
		TransactionID:   le.Uint64(v[8:]),
		CreationTime:    le.Uint32(v[16:]),
		SnapshottedTime: le.Uint32(v[20:]),
	}, nil
}

func thinID(leaf, key uint64) (uint32, error) {
	if key > math.MaxUint32 {
		return 0, corruptf(leaf, "btree node", "thin device id %d out of range", key)
	}
	return uint32(key), nil
}

// WalkDevices calls fn with the details of every thin device, in id order.
func (m *Metadata) WalkDevices(fn func(DeviceDetails) error) error {
	err := m.br.walkTree(m.sb.DeviceDetailsRoot, detailsSize, func(leaf, key uint64, v []byte) error {
		d, err := parseDetails(leaf, key, v)
		if err != nil {
			return err
		}
		return fn(d)
	})
	if err != nil {
		return fmt.Errorf("walk device details: %w", err)
	}
	return nil
}

// Devices returns the details of every thin device, in id order.
func (m *Metadata) Devices() ([]DeviceDetails, error) {
	var devs []DeviceDetails
	err := m.WalkDevices(func(d DeviceDetails) error {
		devs = append(devs, d)
		return nil
	})
	return devs, err
}

// Device returns the details of thin device id, or an error matching
// ErrNoDevice.
func (m *Metadata) Device(id uint32) (DeviceDetails, error) {
	leaf, v, ok, err := m.br.lookup(m.sb.DeviceDetailsRoot, uint64(id), detailsSize)
	if err != nil {
		return DeviceDetails{}, fmt.Errorf("look up thin device %d: %w", id, err)
	}
	if !ok {
		return DeviceDetails{}, fmt.Errorf("look up thin device %d: %w", id, ErrNoDevice)
	}
	return parseDetails(leaf, uint64(id), v)
}
