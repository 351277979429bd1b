package pool

import "testing"

func TestIDSet(t *testing.T) {
	s := newIDSet([]DeviceMeta{{DeviceID: 1}, {DeviceID: 2}, {DeviceID: 4}, {DeviceID: 0}, {DeviceID: 1 << 24}, {DeviceID: -3}}, 1)
	var got []int
	for range 3 {
		id, err := s.allocate()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, id)
	}
	if got[0] != 3 || got[1] != 5 || got[2] != 6 {
		t.Errorf("allocate() x3 = %v, want [3 5 6]", got)
	}
	s.free(3)
	if id, _ := s.allocate(); id != 7 {
		t.Errorf("allocate() after free(3) = %d, want 7 (freed ids come back only after wrapping)", id)
	}
	if s.isUsed(3) || !s.isUsed(7) {
		t.Errorf("isUsed(3), isUsed(7) = %v, %v, want false, true", s.isUsed(3), s.isUsed(7))
	}

	w := newIDSet([]DeviceMeta{{DeviceID: 1}}, maxThinDevID-1)
	a, _ := w.allocate()
	b, _ := w.allocate()
	if a != maxThinDevID || b != 2 {
		t.Errorf("allocate() around the wrap = %d, %d, want %d, 2 (0 is never used)", a, b, maxThinDevID)
	}
}

func TestIDSetFull(t *testing.T) {
	if testing.Short() {
		t.Skip("fills all 16M ids")
	}
	s := &idSet{used: make(map[int]bool, maxThinDevID)}
	for id := 1; id <= maxThinDevID; id++ {
		s.markUsed(id)
	}
	if _, err := s.allocate(); err == nil {
		t.Errorf("allocate() on a full set = nil error, want one")
	}
}
