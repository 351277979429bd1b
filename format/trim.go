package format

import (
	"fmt"
	"strconv"
	"time"
)

// TrimRecord is what trim did, or with --dry-run what it would do.
type TrimRecord struct {
	DryRun               bool             `json:"dry_run" doc:"nothing was changed: the figures say what trim would do"`
	DataLoopFile         OptString        `json:"data_loop_file" doc:"loop pools: the data file holes are punched in; null otherwise"`
	DataDevice           OptString        `json:"data_device" doc:"block device pools: the device discards go to; null for loop pools"`
	FilesystemsTrimmed   []FilesystemTrim `json:"filesystems_trimmed" doc:"the mounted thin devices FITRIMmed first (none with --dry-run or --no-fstrim)"`
	FreeDataBlocks       uint64           `json:"free_data_blocks" doc:"free data blocks in the pool's space map"`
	FreeDataBytes        uint64           `json:"free_data_bytes" doc:"the same in bytes"`
	FreeRuns             int              `json:"free_runs" doc:"runs of free blocks, each one hole punched or one discard"`
	AllocatedBeforeBytes *uint64          `json:"allocated_before_bytes" doc:"loop pools: the data file's allocated bytes before; null otherwise"`
	AllocatedAfterBytes  *uint64          `json:"allocated_after_bytes" doc:"loop pools: the data file's allocated bytes after; null otherwise and for a dry run"`
	ReclaimedBytes       *uint64          `json:"reclaimed_bytes" doc:"loop pools: bytes the data file gave back, or with --dry-run would give back; null otherwise"`
	SuspendedMicros      *int64           `json:"suspended_microseconds" doc:"how long the pool was suspended; null for a dry run, which reads a metadata snapshot instead"`
}

// FilesystemTrim is one filesystem trim FITRIMmed.
type FilesystemTrim struct {
	Mountpoint   string `json:"mountpoint" doc:"where the thin device is mounted"`
	TrimmedBytes uint64 `json:"trimmed_bytes" doc:"bytes the filesystem reported trimmed"`
}

// Trim prints trim's report: for people "Trim:" and "  Key: value" lines,
// JSON the record.
func Trim(out Output, r TrimRecord) error {
	k, err := out.Kind.resolve("trim")
	if err != nil {
		return err
	}
	if k == JSON {
		r.FilesystemsTrimmed = nonNil(r.FilesystemsTrimmed)
		return writeJSON(out.W, "trim", r)
	}
	var fsBytes uint64
	for _, f := range r.FilesystemsTrimmed {
		fsBytes += f.TrimmedBytes
	}
	target := string(r.DataLoopFile)
	if target == "" {
		target = string(r.DataDevice)
	}
	pairs := [][2]string{
		{"Dry Run", strconv.FormatBool(r.DryRun)},
		{"Trimmed", target},
		{"Filesystems Trimmed", fmt.Sprintf("%d (%s)", len(r.FilesystemsTrimmed), humanBytes(fsBytes))},
		{"Free Data Blocks", strconv.FormatUint(r.FreeDataBlocks, 10)},
		{"Free Data Space", humanBytes(r.FreeDataBytes)},
		{"Free Runs", strconv.Itoa(r.FreeRuns)},
	}
	if r.AllocatedBeforeBytes != nil {
		pairs = append(pairs, [2]string{"Data File Allocated Before", humanBytes(*r.AllocatedBeforeBytes)})
	}
	if r.AllocatedAfterBytes != nil {
		pairs = append(pairs, [2]string{"Data File Allocated After", humanBytes(*r.AllocatedAfterBytes)})
	}
	if r.ReclaimedBytes != nil {
		key := "Reclaimed"
		if r.DryRun {
			key = "Reclaimable"
		}
		pairs = append(pairs, [2]string{key, humanBytes(*r.ReclaimedBytes)})
	}
	if r.SuspendedMicros != nil {
		pairs = append(pairs, [2]string{"Pool Suspended", (time.Duration(*r.SuspendedMicros) * time.Microsecond).Round(10 * time.Microsecond).String()})
	} else {
		pairs = append(pairs, [2]string{"Pool Suspended", "no"})
	}
	return writePairs(out.W, "trim", "Trim", pairs)
}
