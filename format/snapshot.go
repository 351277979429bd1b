package format

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// OptTime is a time that may be absent: JSON prints it in RFC 3339, or
// null for the zero time.
type OptTime struct{ time.Time }

// MarshalJSON implements json.Marshaler.
func (t OptTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *OptTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	return json.Unmarshal(b, &t.Time)
}

// SnapshotRecord is one thin device of a pool, as snapshot ls and
// snapshot create report it.
type SnapshotRecord struct {
	ID             string    `json:"id" doc:"dmctl's id of the device (base for the base device)"`
	Name           string    `json:"name" doc:"its device-mapper name, PREFIX-ID"`
	ThinID         int       `json:"thin_id" doc:"its thin device id in the pool"`
	Origin         OptString `json:"origin" doc:"id of the device it is a snapshot of; null for the base device and unknown origins"`
	SizeBytes      uint64    `json:"size_bytes" doc:"size"`
	MappedBytes    *uint64   `json:"mapped_bytes" doc:"space it has allocated in the pool; null when not known"`
	ExclusiveBytes *uint64   `json:"exclusive_bytes" doc:"space only it uses, what deleting it would free; null when not known"`
	SharedBytes    *uint64   `json:"shared_bytes" doc:"space it shares with other devices; null when not known"`
	TransactionID  uint64    `json:"transaction_id" doc:"the pool transaction that created it"`
	CreatedAt      OptTime   `json:"created_at" doc:"when dmctl created it, RFC 3339; null for devices Docker made"`
	Active         bool      `json:"active" doc:"a device-mapper device exists for it"`
	Deleted        bool      `json:"deleted" doc:"its deletion was deferred while it was busy"`
	DevicePath     string    `json:"device_path" doc:"its device node, /dev/mapper/NAME (present only when active)"`
	Mountpoints    []string  `json:"mountpoints" doc:"where it is mounted in this mount namespace"`
}

// SnapshotsTable is the table of snapshot ls.
var SnapshotsTable TableView = snapshotsTable

var snapshotsTable = &table[SnapshotRecord]{what: "snapshot ls", cols: []column[SnapshotRecord]{
	{name: "ID", about: "dmctl's id", get: func(r *SnapshotRecord) cell { return text(r.ID) }},
	{name: "THIN_ID", right: true, about: "thin device id in the pool", get: func(r *SnapshotRecord) cell { return unsigned(uint64(r.ThinID)) }},
	{name: "ORIGIN", about: "id of the device it is a snapshot of", get: func(r *SnapshotRecord) cell { return text(string(r.Origin)) }},
	{name: "SIZE", right: true, about: "size", get: func(r *SnapshotRecord) cell { return size(r.SizeBytes) }},
	{name: "MAPPED", right: true, about: "space allocated in the pool", get: func(r *SnapshotRecord) cell { return optSize(r.MappedBytes) }},
	{name: "EXCLUSIVE", right: true, about: "space only it uses", get: func(r *SnapshotRecord) cell { return optSize(r.ExclusiveBytes) }},
	{name: "SHARED", right: true, about: "space shared with other devices", get: func(r *SnapshotRecord) cell { return optSize(r.SharedBytes) }},
	{name: "STATE", about: "active or inactive, then deleted when its deletion is deferred", get: func(r *SnapshotRecord) cell {
		s := activeWord(r.Active)
		if r.Deleted {
			s += ",deleted"
		}
		return text(s)
	}},
	{name: "MOUNTPOINTS", about: "where it is mounted, comma-separated", get: func(r *SnapshotRecord) cell { return text(strings.Join(r.Mountpoints, ",")) }},
	{name: "NAME", extra: true, about: "device-mapper name", get: func(r *SnapshotRecord) cell { return text(r.Name) }},
	{name: "TRANSACTION", right: true, extra: true, about: "the pool transaction that created it", get: func(r *SnapshotRecord) cell { return unsigned(r.TransactionID) }},
	{name: "CREATED", extra: true, about: "when dmctl created it, RFC 3339", get: func(r *SnapshotRecord) cell {
		if r.CreatedAt.IsZero() {
			return text("")
		}
		return text(r.CreatedAt.UTC().Format(time.RFC3339))
	}},
	{name: "DEVICE", extra: true, about: "its device node", get: func(r *SnapshotRecord) cell { return text(r.DevicePath) }},
}}

// Snapshots prints snapshot ls.
func Snapshots(out Output, recs []SnapshotRecord) error {
	k, err := out.Kind.resolve("snapshot ls")
	if err != nil {
		return err
	}
	if k == JSON {
		js := make([]SnapshotRecord, len(recs))
		for i, r := range recs {
			r.Mountpoints = nonNil(r.Mountpoints)
			js[i] = r
		}
		return writeJSON(out.W, "snapshot ls", js)
	}
	return snapshotsTable.write(out, recs)
}

// Snapshot prints one thin device, as snapshot create reports it: for
// people "Key: value" lines; JSON the record.
func Snapshot(out Output, r SnapshotRecord) error {
	k, err := out.Kind.resolve("snapshot")
	if err != nil {
		return err
	}
	if k == JSON {
		r.Mountpoints = nonNil(r.Mountpoints)
		return writeJSON(out.W, "snapshot", r)
	}
	origin := string(r.Origin)
	if origin == "" {
		origin = "-"
	}
	return writePairs(out.W, "snapshot", "", [][2]string{
		{"ID", r.ID},
		{"Thin ID", strconv.Itoa(r.ThinID)},
		{"Origin", origin},
		{"Size", humanBytes(r.SizeBytes)},
		{"Device", r.DevicePath},
	})
}

// ActivationRecord is what activate and mount report: where the device
// is now.
type ActivationRecord struct {
	ID         string    `json:"id" doc:"dmctl's id of the thin device"`
	DevicePath string    `json:"device_path" doc:"its device node"`
	Mountpoint OptString `json:"mountpoint" doc:"mount: where it was mounted; null for activate"`
}

// Activation prints activate's device node or mount's mount point, one
// line; JSON the record.
func Activation(out Output, r ActivationRecord) error {
	k, err := out.Kind.resolve("activation")
	if err != nil {
		return err
	}
	if k == JSON {
		return writeJSON(out.W, "activation", r)
	}
	line := r.DevicePath
	if r.Mountpoint != "" {
		line = string(r.Mountpoint)
	}
	_, err = out.W.Write([]byte(line + "\n"))
	return err
}
