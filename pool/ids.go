//go:build linux

package pool

import "fmt"

// idSet tracks which thin ids are in use, as Docker's driver did: ids are
// 1..0xffffff, the in-use set is rebuilt from the device JSON files (every
// file, deleted ones included, since their thin ids still exist), and new
// ids are handed out round-robin from the last one given
// (next_device_id), so a freed id is reused only after the counter wraps.
// A create that still finds its id taken in the pool (EEXIST) marks it
// used and asks for the next one.
type idSet struct {
	used map[int]bool
	last int // the last id handed out (Docker's NextDeviceID)
}

// newIDSet builds the set from the device files and the stored
// next_device_id. Ids outside 1..0xffffff are ignored, as Docker ignored
// them.
func newIDSet(devices []DeviceMeta, last int) *idSet {
	s := &idSet{used: make(map[int]bool, len(devices)), last: last & maxThinDevID}
	for _, d := range devices {
		if d.DeviceID > 0 && d.DeviceID <= maxThinDevID {
			s.used[d.DeviceID] = true
		}
	}
	return s
}

// allocate returns the next free id after the last one handed out and
// marks it used.
func (s *idSet) allocate() (int, error) {
	id := s.last
	for range maxThinDevID {
		id = id%maxThinDevID + 1 // 1..0xffffff, wrapping past 0
		if !s.used[id] {
			s.used[id] = true
			s.last = id
			return id, nil
		}
	}
	return 0, fmt.Errorf("allocate thin id: all %d ids are in use", maxThinDevID)
}

// free marks id unused.
func (s *idSet) free(id int) { delete(s.used, id) }

// markUsed marks id used.
func (s *idSet) markUsed(id int) { s.used[id] = true }

// isUsed reports whether id is in use.
func (s *idSet) isUsed(id int) bool { return s.used[id] }
