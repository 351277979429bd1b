//go:build ignore

// gen writes the thinmeta test fixtures: for each pool it builds an XML
// description, restores it with thin_restore into a sparse file, checks it
// with thin_check, and keeps the gzipped metadata <name>.meta.gz, thin_dump's
// XML <name>.dump.xml (which equals the description, plus the flags and
// version thin_restore chose) and thin_ls's report <name>.thin_ls. The pools
// are pseudo-random with a fixed seed, so the output is reproducible. It needs
// thin-provisioning-tools (0.9.0 was used).
//
// Run it from this directory: go run gen.go
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// thinLsFields is the thin_ls column list stored in the goldens.
const thinLsFields = "DEV,MAPPED_BLOCKS,EXCLUSIVE_BLOCKS,SHARED_BLOCKS,MAPPED_BYTES,EXCLUSIVE_BYTES,SHARED_BYTES,TRANSACTION,CREATE_TIME,SNAP_TIME"

type mapping struct {
	v, d uint64
	t    uint32
}

type device struct {
	id                 uint32
	transaction        uint64
	creation, snapTime uint32
	mappings           []mapping // in virtual block order
}

type pool struct {
	name          string
	metaBytes     int64
	time          uint32
	transaction   uint64
	dataBlockSize uint32
	nrDataBlocks  uint64
	devices       []device
}

func main() {
	for _, p := range []pool{emptyPool(), basicPool(), snapshotsPool()} {
		if err := generate(p); err != nil {
			log.Fatalf("%s: %v", p.name, err)
		}
	}
}

func emptyPool() pool {
	return pool{name: "empty", metaBytes: 4 << 20, dataBlockSize: 128, nrDataBlocks: 1600}
}

// basicPool has a few devices, an empty one, id 0 and the largest id, range
// and single mappings, and one data block shared by two devices.
func basicPool() pool {
	p := pool{name: "basic", metaBytes: 16 << 20, time: 3, transaction: 9, dataBlockSize: 128, nrDataBlocks: 4096}
	d0 := device{id: 0, transaction: 1}
	for v := uint64(0); v < 10; v++ {
		d0.mappings = append(d0.mappings, mapping{v, 100 + v, 0})
	}
	d1 := device{id: 1, transaction: 2, creation: 1, snapTime: 2}
	d1.mappings = []mapping{{0, 7, 1}, {1, 8, 1}, {2, 9, 2}, {5, 4095, 2}, {6, 0, 2}, {1000, 104, 1}}
	d5 := device{id: 5, transaction: 3, creation: 2, snapTime: 2}
	dmax := device{id: 1<<24 - 1, transaction: 4, creation: 3, snapTime: 3}
	dmax.mappings = []mapping{{1 << 30, 2000, 3}}
	p.devices = []device{d0, d1, d5, dmax}
	return p
}

// snapshotsPool has an origin with enough mappings for a three-level
// btree, a chain of snapshots of snapshots sharing its blocks (reference
// counts up to 4, in the ref-count btree), more data blocks than four
// bitmaps cover and more metadata blocks than one bitmap covers.
func snapshotsPool() pool {
	const nrData = 70000
	p := pool{name: "snapshots", metaBytes: 72 << 20, time: 4, transaction: 21, dataBlockSize: 1024, nrDataBlocks: nrData}
	rng := rand.New(rand.NewPCG(1, 2))
	used := make([]bool, nrData)
	// alloc returns a run of up to n free data blocks near a random spot.
	alloc := func(n uint64) (uint64, uint64) {
		for {
			start := rng.Uint64N(nrData)
			if used[start] {
				continue
			}
			var l uint64
			for l < n && start+l < nrData && !used[start+l] {
				used[start+l] = true
				l++
			}
			return start, l
		}
	}
	used[0], used[nrData-1] = true, true
	origin := device{id: 1, transaction: 1}
	origin.mappings = append(origin.mappings, mapping{0, 0, 0})
	v := uint64(1)
	for len(origin.mappings) < 40000 {
		v += rng.Uint64N(4) // holes
		start, l := alloc(1 + rng.Uint64N(64))
		t := uint32(rng.IntN(2))
		for i := uint64(0); i < l; i++ {
			origin.mappings = append(origin.mappings, mapping{v, start + i, t})
			v++
		}
	}
	origin.mappings = append(origin.mappings, mapping{v + 10, nrData - 1, 1})
	p.devices = append(p.devices, origin)
	// Snapshot 2 shares mappings [20000, 23000) of the origin, 3 and 4
	// all of their parent's; each rewrites a few blocks.
	window := origin.mappings[20000:23000]
	for i := uint32(2); i <= 4; i++ {
		snap := device{id: i, transaction: uint64(i), creation: i - 1, snapTime: i - 1}
		for j, m := range window {
			if j%50 == int(i) {
				d, _ := alloc(1)
				m = mapping{m.v, d, i - 1}
			}
			snap.mappings = append(snap.mappings, m)
		}
		p.devices = append(p.devices, snap)
		window = snap.mappings
	}
	p.devices[0].snapTime = 1
	return p
}

func (p pool) xml() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<superblock uuid=\"\" time=\"%d\" transaction=\"%d\" data_block_size=\"%d\" nr_data_blocks=\"%d\">\n",
		p.time, p.transaction, p.dataBlockSize, p.nrDataBlocks)
	for _, d := range p.devices {
		fmt.Fprintf(&b, "  <device dev_id=\"%d\" mapped_blocks=\"%d\" transaction=\"%d\" creation_time=\"%d\" snap_time=\"%d\">\n",
			d.id, len(d.mappings), d.transaction, d.creation, d.snapTime)
		for i := 0; i < len(d.mappings); {
			m := d.mappings[i]
			n := 1
			for i+n < len(d.mappings) {
				next := d.mappings[i+n]
				if next.v != m.v+uint64(n) || next.d != m.d+uint64(n) || next.t != m.t {
					break
				}
				n++
			}
			if n == 1 {
				fmt.Fprintf(&b, "    <single_mapping origin_block=\"%d\" data_block=\"%d\" time=\"%d\"/>\n", m.v, m.d, m.t)
			} else {
				fmt.Fprintf(&b, "    <range_mapping origin_begin=\"%d\" data_begin=\"%d\" length=\"%d\" time=\"%d\"/>\n", m.v, m.d, n, m.t)
			}
			i += n
		}
		fmt.Fprintf(&b, "  </device>\n")
	}
	b.WriteString("</superblock>\n")
	return b.String()
}

func generate(p pool) error {
	tmp, err := os.MkdirTemp("", "thinmeta-gen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	xmlPath := filepath.Join(tmp, p.name+".xml")
	if err := os.WriteFile(xmlPath, []byte(p.xml()), 0o644); err != nil {
		return err
	}
	meta := filepath.Join(tmp, "meta")
	if err := os.WriteFile(meta, nil, 0o644); err != nil {
		return err
	}
	if err := os.Truncate(meta, p.metaBytes); err != nil {
		return err
	}
	if _, err := run("thin_restore", "-q", "-i", xmlPath, "-o", meta); err != nil {
		return err
	}
	if out, err := run("thin_check", meta); err != nil {
		return fmt.Errorf("thin_check: %v\n%s", err, out)
	}
	dump, err := run("thin_dump", meta)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p.name+".dump.xml", dump, 0o644); err != nil {
		return err
	}
	ls, err := run("thin_ls", "-o", thinLsFields, meta)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p.name+".thin_ls", ls, 0o644); err != nil {
		return err
	}
	return gzipFile(meta, p.name+".meta.gz")
}

func run(name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

func gzipFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(out, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, in); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return out.Close()
}
