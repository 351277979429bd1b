package thinmeta

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
)

// Dump is the content of the metadata as thin_dump shows it: superblock
// fields, and every thin device with its details and mappings. It holds all
// mappings in memory; it is meant for tests, tools and small pools.
type Dump struct {
	UUID          string
	Time          uint32
	TransactionID uint64
	Flags         uint32
	Version       uint32
	DataBlockSize uint32 // sectors
	// NrDataBlocks is the pool's size in data blocks, from the space map
	// root; 0 in a metadata snapshot (the kernel wipes it), as thin_dump -m
	// prints it.
	NrDataBlocks uint64
	Devices      []DeviceDump // in id order
}

// DeviceDump is one thin device of a [Dump].
type DeviceDump struct {
	Details DeviceDetails
	Runs    []Run // maximal runs, in virtual block order
}

// MappedBlocks returns the number of blocks mapped by d's runs.
func (d *DeviceDump) MappedBlocks() uint64 {
	var n uint64
	for _, r := range d.Runs {
		n += r.Length
	}
	return n
}

// Dump reads every device and mapping of this view.
func (m *Metadata) Dump() (*Dump, error) {
	devs, roots, err := m.devicesWithRoots()
	if err != nil {
		return nil, fmt.Errorf("dump metadata: %w", err)
	}
	d := &Dump{
		UUID:          string(bytes.TrimRight(m.sb.UUID[:], "\x00")),
		Time:          m.sb.Time,
		TransactionID: m.sb.TransactionID,
		Flags:         m.sb.Flags,
		Version:       m.sb.Version,
		DataBlockSize: m.sb.DataBlockSize,
		NrDataBlocks:  m.sb.DataSpaceMap.NrBlocks,
		Devices:       make([]DeviceDump, len(devs)),
	}
	for i, r := range roots {
		dd := DeviceDump{Details: devs[i]}
		err := m.walkRuns(r.root, func(run Run) error {
			dd.Runs = append(dd.Runs, run)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("dump thin device %d: %w", r.id, err)
		}
		d.Devices[i] = dd
	}
	return d, nil
}

// WriteXML writes d in thin_dump's XML format (as thin-provisioning-tools
// 0.9 prints it), which thin_restore reads back.
func (d *Dump) WriteXML(w io.Writer) error {
	bw := bufio.NewWriter(w)
	var uuid bytes.Buffer
	if err := xml.EscapeText(&uuid, []byte(d.UUID)); err != nil {
		return fmt.Errorf("write metadata xml: %w", err)
	}
	fmt.Fprintf(bw, "<superblock uuid=\"%s\" time=\"%d\" transaction=\"%d\" flags=\"%d\" version=\"%d\" data_block_size=\"%d\" nr_data_blocks=\"%d\">\n",
		uuid.Bytes(), d.Time, d.TransactionID, d.Flags, d.Version, d.DataBlockSize, d.NrDataBlocks)
	for _, dev := range d.Devices {
		dt := dev.Details
		fmt.Fprintf(bw, "  <device dev_id=\"%d\" mapped_blocks=\"%d\" transaction=\"%d\" creation_time=\"%d\" snap_time=\"%d\">\n",
			dt.ID, dt.MappedBlocks, dt.TransactionID, dt.CreationTime, dt.SnapshottedTime)
		for _, r := range dev.Runs {
			if r.Length == 1 {
				fmt.Fprintf(bw, "    <single_mapping origin_block=\"%d\" data_block=\"%d\" time=\"%d\"/>\n", r.OriginBegin, r.DataBegin, r.Time)
			} else {
				fmt.Fprintf(bw, "    <range_mapping origin_begin=\"%d\" data_begin=\"%d\" length=\"%d\" time=\"%d\"/>\n", r.OriginBegin, r.DataBegin, r.Length, r.Time)
			}
		}
		fmt.Fprintf(bw, "  </device>\n")
	}
	fmt.Fprintf(bw, "</superblock>\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write metadata xml: %w", err)
	}
	return nil
}

type xmlSuperblock struct {
	XMLName       xml.Name    `xml:"superblock"`
	UUID          string      `xml:"uuid,attr"`
	Time          uint32      `xml:"time,attr"`
	Transaction   uint64      `xml:"transaction,attr"`
	Flags         uint32      `xml:"flags,attr"`
	Version       uint32      `xml:"version,attr"`
	DataBlockSize uint32      `xml:"data_block_size,attr"`
	NrDataBlocks  uint64      `xml:"nr_data_blocks,attr"`
	Devices       []xmlDevice `xml:"device"`
}

type xmlDevice struct {
	DevID        uint32       `xml:"dev_id,attr"`
	MappedBlocks uint64       `xml:"mapped_blocks,attr"`
	Transaction  uint64       `xml:"transaction,attr"`
	CreationTime uint32       `xml:"creation_time,attr"`
	SnapTime     uint32       `xml:"snap_time,attr"`
	Mappings     []xmlMapping `xml:",any"`
}

type xmlMapping struct {
	XMLName     xml.Name
	OriginBegin uint64 `xml:"origin_begin,attr"`
	DataBegin   uint64 `xml:"data_begin,attr"`
	Length      uint64 `xml:"length,attr"`
	OriginBlock uint64 `xml:"origin_block,attr"`
	DataBlock   uint64 `xml:"data_block,attr"`
	Time        uint32 `xml:"time,attr"`
}

// ParseDumpXML reads thin_dump's XML format. Runs are sorted and merged
// into maximal runs, so a parsed dump compares equal to [Metadata.Dump] of
// the same metadata however the writer split its ranges.
func ParseDumpXML(r io.Reader) (*Dump, error) {
	var x xmlSuperblock
	if err := xml.NewDecoder(r).Decode(&x); err != nil {
		return nil, fmt.Errorf("parse metadata xml: %w", err)
	}
	d := &Dump{
		UUID:          x.UUID,
		Time:          x.Time,
		TransactionID: x.Transaction,
		Flags:         x.Flags,
		Version:       x.Version,
		DataBlockSize: x.DataBlockSize,
		NrDataBlocks:  x.NrDataBlocks,
		Devices:       make([]DeviceDump, 0, len(x.Devices)),
	}
	for _, xd := range x.Devices {
		dd := DeviceDump{Details: DeviceDetails{
			ID:              xd.DevID,
			MappedBlocks:    xd.MappedBlocks,
			TransactionID:   xd.Transaction,
			CreationTime:    xd.CreationTime,
			SnapshottedTime: xd.SnapTime,
		}}
		for _, xm := range xd.Mappings {
			switch xm.XMLName.Local {
			case "range_mapping":
				if xm.Length == 0 {
					return nil, fmt.Errorf("parse metadata xml: thin device %d: range_mapping of length 0", xd.DevID)
				}
				dd.Runs = append(dd.Runs, Run{OriginBegin: xm.OriginBegin, DataBegin: xm.DataBegin, Length: xm.Length, Time: xm.Time})
			case "single_mapping":
				dd.Runs = append(dd.Runs, Run{OriginBegin: xm.OriginBlock, DataBegin: xm.DataBlock, Length: 1, Time: xm.Time})
			default:
				return nil, fmt.Errorf("parse metadata xml: thin device %d: unsupported element <%s>", xd.DevID, xm.XMLName.Local)
			}
		}
		dd.Runs = normalizeRuns(dd.Runs)
		d.Devices = append(d.Devices, dd)
	}
	slices.SortStableFunc(d.Devices, func(a, b DeviceDump) int {
		return cmpUint(uint64(a.Details.ID), uint64(b.Details.ID))
	})
	return d, nil
}

// normalizeRuns sorts runs by virtual block and merges adjacent ones.
func normalizeRuns(runs []Run) []Run {
	slices.SortStableFunc(runs, func(a, b Run) int { return cmpUint(a.OriginBegin, b.OriginBegin) })
	out := runs[:0]
	for _, r := range runs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.Time == r.Time && last.OriginEnd() == r.OriginBegin && last.DataBegin+last.Length == r.DataBegin {
				last.Length += r.Length
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// maxDiffs bounds the report of DiffDumps.
const maxDiffs = 20

// DiffDumps compares two dumps and describes their differences, at most
// twenty of them; it returns nil when they are equal.
func DiffDumps(want, got *Dump) []string {
	var diffs []string
	add := func(format string, args ...any) bool {
		if len(diffs) < maxDiffs {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
		return len(diffs) < maxDiffs
	}
	type field struct {
		name      string
		want, got any
	}
	for _, f := range []field{
		{"uuid", want.UUID, got.UUID},
		{"time", want.Time, got.Time},
		{"transaction", want.TransactionID, got.TransactionID},
		{"flags", want.Flags, got.Flags},
		{"version", want.Version, got.Version},
		{"data_block_size", want.DataBlockSize, got.DataBlockSize},
		{"nr_data_blocks", want.NrDataBlocks, got.NrDataBlocks},
	} {
		if f.want != f.got {
			add("superblock %s = %v, want %v", f.name, f.got, f.want)
		}
	}
	wi, gi := 0, 0
	for wi < len(want.Devices) || gi < len(got.Devices) {
		switch {
		case gi >= len(got.Devices) || (wi < len(want.Devices) && want.Devices[wi].Details.ID < got.Devices[gi].Details.ID):
			if !add("thin device %d missing", want.Devices[wi].Details.ID) {
				return diffs
			}
			wi++
			continue
		case wi >= len(want.Devices) || got.Devices[gi].Details.ID < want.Devices[wi].Details.ID:
			if !add("thin device %d unexpected", got.Devices[gi].Details.ID) {
				return diffs
			}
			gi++
			continue
		}
		w, g := &want.Devices[wi], &got.Devices[gi]
		wi++
		gi++
		if w.Details != g.Details {
			if !add("thin device %d details = %+v, want %+v", w.Details.ID, g.Details, w.Details) {
				return diffs
			}
		}
		if len(w.Runs) != len(g.Runs) {
			if !add("thin device %d has %d runs (%d blocks), want %d runs (%d blocks)", w.Details.ID, len(g.Runs), g.MappedBlocks(), len(w.Runs), w.MappedBlocks()) {
				return diffs
			}
		}
		for i := range min(len(w.Runs), len(g.Runs)) {
			if w.Runs[i] != g.Runs[i] {
				if !add("thin device %d run %d = %+v, want %+v", w.Details.ID, i, g.Runs[i], w.Runs[i]) {
					return diffs
				}
				break
			}
		}
	}
	return diffs
}
