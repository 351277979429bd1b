package format

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"testing"

	"github.com/dmctl/dmctl/dmctl"
)

// Host benchmarks of the renderers at the scale of the kernel-side
// benchmark (make bench): ten thousand devices named as Docker named them.

const benchDevices = 10000

func benchDevicesOf() []Device {
	out := make([]Device, benchDevices)
	for i := range out {
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		out[i] = DeviceOf("docker-253:1-1048612-"+hex.EncodeToString(sum[:]), "", dmctl.MakeDev(253, uint32(i)))
	}
	return out
}

var benchKinds = []Kind{Table, Dmsetup, JSON}

func BenchmarkList(b *testing.B) {
	devs := benchDevicesOf()
	recs := make([]ListRecord, len(devs))
	for i, d := range devs {
		recs[i] = ListRecord{Device: d, EventNr: 1}
	}
	for _, k := range benchKinds {
		b.Run(string(k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := List(Output{W: io.Discard, Kind: k}, recs, ListStyle{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkStatus(b *testing.B) {
	devs := benchDevicesOf()
	recs := make([]StatusRecord, len(devs))
	for i, d := range devs {
		recs[i] = StatusRecord{Device: d, Type: "thin", SizeBytes: 10 << 30,
			Targets: []StatusTarget{{StartSector: 0, LengthSectors: 20971520, Type: "thin", Status: "2048 20971519"}},
			Thin:    &ThinUsage{MappedBytes: 1 << 20}}
	}
	for _, k := range benchKinds {
		b.Run(string(k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Status(Output{W: io.Discard, Kind: k}, recs, TargetsOptions{WithNames: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkTables(b *testing.B) {
	devs := benchDevicesOf()
	recs := make([]TableRecord, len(devs))
	for i, d := range devs {
		recs[i] = TableRecord{Device: d,
			Targets: []TableTarget{{StartSector: 0, LengthSectors: 20971520, Type: "thin", Params: "253:0 42"}}}
	}
	for _, k := range benchKinds {
		b.Run(string(k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Tables(Output{W: io.Discard, Kind: k}, recs, TargetsOptions{WithNames: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkInfo(b *testing.B) {
	devs := benchDevicesOf()
	recs := make([]InfoRecord, len(devs))
	reports := make([]ReportDevice, len(devs))
	ra := uint32(256)
	for i, d := range devs {
		recs[i] = InfoRecord{Device: d, LiveTable: true, TargetCount: 1, ReadAheadSectors: &ra}
		reports[i] = ReportDevice{InfoRecord: recs[i], BlkDevName: fmt.Sprintf("dm-%d", i)}
	}
	for _, k := range benchKinds {
		b.Run(string(k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Info(Output{W: io.Discard, Kind: k}, recs); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("columns-"+string(k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := InfoColumns(Output{W: io.Discard, Kind: k}, reports, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
