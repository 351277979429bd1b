//go:build linux

package pool

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/dmctl/dmctl/dmctl"
	"github.com/dmctl/dmctl/pool/thinmeta"
)

// Finding kinds reported by Check.
const (
	FindingPoolMode        = "pool-mode"        // the pool is read-only, out of space or failed
	FindingNeedsCheck      = "needs-check"      // the kernel flagged the metadata for thin_check
	FindingLowSpace        = "low-free-space"   // free space below the minimum new devices need
	FindingOpenTxn         = "open-transaction" // an interrupted command left a transaction open
	FindingTxnMismatch     = "transaction-mismatch"
	FindingOrphanThin      = "orphan-thin-id"    // a thin id in the pool that no device file names
	FindingLostDevice      = "lost-device"       // a device file whose thin id is not in the pool
	FindingDeletedPresent  = "deleted-present"   // deletion deferred while busy, still in the pool
	FindingOrphanDM        = "orphan-dm-device"  // an active dm device of this pool's prefix no file names
	FindingInactivePool    = "pool-inactive"     // the pool is not active: only the files could be read
	FindingDuplicateThin   = "duplicate-thin-id" // two device files claim one thin id: nothing changes until fixed
	FindingForeignThin     = "foreign-thin-id"   // a shared pool's thin id of another program (a notice)
	FindingSuspended       = "suspended"         // the pool or a device is suspended, not by dmctl: its I/O waits
	FindingHalfMade        = "half-made-device"  // a device without a live table, or with a table never made live
	FindingLink            = "link-in-root"      // a symbolic link or special file among the state files
	FindingMetadataDamaged = "metadata-damaged"  // the pool's metadata on disk fails dmctl's reader
)

// Finding is one inconsistency Check found.
type Finding struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	Detail  string `json:"detail"`
	// Repair says what Repair would do; empty when it cannot be repaired
	// by dmctl (thin_check's job, or more space).
	Repair string `json:"repair,omitempty"`
	// DeletesData is set when the repair deletes a thin device's data:
	// Repair does it only when told to.
	DeletesData bool `json:"deletes_data,omitempty"`
	// Notice is set on what is reported for information only (another
	// program's thin id in a shared pool): it does not make the pool
	// inconsistent.
	Notice bool `json:"notice,omitempty"`

	thinID int
	id     string
}

// CheckReport is the result of Check: empty Findings means the JSON
// state, the pool's metadata and the kernel's devices agree.
type CheckReport struct {
	Pool          string    `json:"pool"`
	TransactionID uint64    `json:"transaction_id"`
	ThinIDs       int       `json:"thin_ids"`
	Devices       int       `json:"device_files"`
	Findings      []Finding `json:"findings"`
}

// Consistent reports whether nothing but notices was found.
func (r CheckReport) Consistent() bool {
	for _, f := range r.Findings {
		if !f.Notice {
			return false
		}
	}
	return true
}

// Problems returns the number of findings that are not notices.
func (r CheckReport) Problems() int {
	n := 0
	for _, f := range r.Findings {
		if !f.Notice {
			n++
		}
	}
	return n
}

// Check reconciles the three sources of truth: the device files under
// metadata/, the pool's own metadata (thin ids and transaction id, read
// online from a metadata snapshot) and the kernel's active devices. It
// changes nothing.
func (p *Pool) Check() (CheckReport, error) {
	r := CheckReport{Pool: p.names.Pool, Findings: []Finding{}}
	add := func(f Finding) { r.Findings = append(r.Findings, f) }
	devs, err := p.store.Devices()
	if err != nil {
		return r, err
	}
	r.Devices = len(devs)
	links, err := p.store.Links()
	if err != nil {
		return r, err
	}
	for _, name := range links {
		add(Finding{Kind: FindingLink, Subject: filepath.Join(p.store.MetadataDir(), name), id: name,
			Detail: "a symbolic link or special file among the state files: dmctl never follows it", Repair: "remove it (not what it points to)"})
	}
	for _, c := range duplicateClaims(devs) {
		add(Finding{Kind: FindingDuplicateThin, Subject: fmt.Sprintf("thin id %d", c.ThinID), thinID: c.ThinID,
			Detail: p.store.describeClaim(c) + "; dmctl changes nothing in the pool until one file is removed or corrected"})
	}
	t, open, err := p.store.ReadTransaction()
	if err != nil {
		return r, err
	}
	var pending *Transaction
	if open {
		pending = &t
		add(Finding{Kind: FindingOpenTxn, Subject: t.ID(), id: t.ID(), thinID: t.DeviceID,
			Detail: fmt.Sprintf("transaction %d on thin id %d was interrupted", t.OpenTransactionID, t.DeviceID),
			Repair: "finish or roll it back"})
	}
	active, err := p.Active()
	if err != nil {
		return r, err
	}
	if !active {
		add(Finding{Kind: FindingInactivePool, Subject: p.names.Pool,
			Detail: "the pool is not active: its metadata and devices were not compared", Repair: ""})
		return r, nil
	}
	st, err := p.poolStatus()
	if err != nil {
		return r, err
	}
	r.TransactionID = st.TransactionID
	if info, err := p.env.DM.Info(p.names.Pool); err == nil && info.Suspended() {
		add(Finding{Kind: FindingSuspended, Subject: p.names.Pool, id: p.names.Pool,
			Detail: "the pool is SUSPENDED (not by dmctl): I/O to all its thin devices waits until it is resumed (dmctl resume " + p.names.Pool + ")",
			Repair: "resume it"})
	}
	switch {
	case st.Failed:
		add(Finding{Kind: FindingPoolMode, Subject: p.names.Pool, Detail: ModeAdvice(p.names.Pool, st)})
		return r, nil
	case st.Mode != PoolModeReadWrite && st.Mode != "":
		add(Finding{Kind: FindingPoolMode, Subject: p.names.Pool, Detail: ModeAdvice(p.names.Pool, st)})
	}
	if st.NeedsCheck {
		add(Finding{Kind: FindingNeedsCheck, Subject: p.names.Pool,
			Detail: "the kernel flagged the metadata: deactivate the pool and run thin_check/thin_repair"})
	}
	if err := freeSpaceError(st, uint64(p.rec.Config.MinFreeSpacePercent)); err != nil {
		add(Finding{Kind: FindingLowSpace, Subject: p.names.Pool, Detail: err.Error()})
	}

	view, err := p.ReadThinView()
	switch {
	case errors.Is(err, thinmeta.ErrCorrupt):
		add(Finding{Kind: FindingMetadataDamaged, Subject: p.names.Pool,
			Detail: fmt.Sprintf("its metadata on disk is damaged (%v): the metadata device lost or garbled writes; the kernel runs from memory until the pool is reloaded; "+
				"stop using it, deactivate it and repair the metadata with thin_repair", err)})
		return r, nil
	case errors.Is(err, ErrPoolMode), errors.Is(err, ErrMetadataSnapHeld):
		add(Finding{Kind: FindingPoolMode, Subject: p.names.Pool, Detail: fmt.Sprintf("its thin ids could not be read: %v", err)})
		return r, nil
	case err != nil:
		return r, err
	}
	r.ThinIDs = len(view.Devices)
	byThin := map[int]DeviceMeta{}
	for _, d := range devs {
		byThin[d.DeviceID] = d
		_, inPool := view.Devices[d.DeviceID]
		switch {
		case !inPool && inTransaction(pending, d):
			// A delete interrupted after its message: the open
			// transaction (reported above) finishes it by removing
			// this file. One interrupted command, one finding.
		case !inPool && d.Deleted:
			add(Finding{Kind: FindingLostDevice, Subject: d.ID, id: d.ID, thinID: d.DeviceID,
				Detail: fmt.Sprintf("marked deleted and its thin id %d is gone from the pool", d.DeviceID),
				Repair: "remove its file"})
		case !inPool:
			add(Finding{Kind: FindingLostDevice, Subject: d.ID, id: d.ID, thinID: d.DeviceID,
				Detail: fmt.Sprintf("thin id %d is not in the pool", d.DeviceID), Repair: "remove its file"})
		case d.Deleted:
			add(Finding{Kind: FindingDeletedPresent, Subject: d.ID, id: d.ID, thinID: d.DeviceID,
				Detail:      fmt.Sprintf("its deletion was deferred; thin id %d is still in the pool", d.DeviceID),
				Repair:      "finish its deletion",
				DeletesData: false})
		}
	}
	if maxTxn, newest := recordedTransaction(devs, pending); maxTxn > st.TransactionID {
		add(Finding{Kind: FindingTxnMismatch, Subject: p.names.Pool,
			Detail: fmt.Sprintf("device file %s names transaction %d, the pool's metadata is at %d: it is older than the files (restored from a copy?); "+
				"lost devices are not dropped while this holds", newest, maxTxn, st.TransactionID)})
	}
	orphans := make([]int, 0)
	for id := range view.Devices {
		if _, ok := byThin[id]; !ok && (pending == nil || pending.DeviceID != id) {
			orphans = append(orphans, id)
		}
	}
	sort.Ints(orphans)
	for _, id := range orphans {
		u := view.Devices[id]
		mapped := u.MappedBlocks * u.BlockBytes
		if p.Shared() {
			add(Finding{Kind: FindingForeignThin, Subject: fmt.Sprintf("thin id %d", id), thinID: id, Notice: true,
				Detail: fmt.Sprintf("no device file names it (%d bytes mapped): another program's device in this shared pool", mapped)})
			continue
		}
		add(Finding{Kind: FindingOrphanThin, Subject: fmt.Sprintf("thin id %d", id), thinID: id,
			Detail: fmt.Sprintf("no device file names it (%d bytes mapped); dmctl has no record of making it, so it is kept", mapped),
			Repair: fmt.Sprintf("delete it only if it is not another program's: --delete-thin %d", id), DeletesData: true})
	}

	expected := map[string]bool{p.names.Pool: true}
	for _, d := range devs {
		expected[p.names.Device(d.ID)] = true
	}
	entries, err := p.env.DM.List(dmctl.ListOptions{NamePrefix: p.names.Prefix + "-"})
	if err != nil {
		return r, err
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name, p.names.Prefix+"-") || e.Name == p.names.Pool {
			continue
		}
		if !expected[e.Name] {
			add(Finding{Kind: FindingOrphanDM, Subject: e.Name, id: e.Name,
				Detail: "active device-mapper device that no device file names", Repair: "remove the dm device"})
			continue
		}
		info, err := p.env.DM.Info(e.Name)
		switch {
		case isNoDevice(err):
		case err != nil:
			return r, err
		case !info.LiveTable():
			add(Finding{Kind: FindingHalfMade, Subject: e.Name, id: e.Name,
				Detail: "device-mapper device without a table (an interrupted activation)", Repair: "remove the dm device"})
		case info.Suspended():
			add(Finding{Kind: FindingSuspended, Subject: e.Name, id: e.Name,
				Detail: "SUSPENDED (not by dmctl): its I/O waits until it is resumed", Repair: "resume it"})
		case info.InactiveTable():
			add(Finding{Kind: FindingHalfMade, Subject: e.Name, id: e.Name,
				Detail: "has an inactive table loaded and never made live", Repair: "clear the inactive table"})
		}
	}
	return r, nil
}

// inTransaction reports whether the open transaction t (nil when none is
// open) is the one on device d's thin id.
func inTransaction(t *Transaction, d DeviceMeta) bool {
	return t != nil && t.DeviceID == d.DeviceID && t.ID() == d.ID
}

// Repair fixes what Check found and is safe to fix, and says what it did.
// It deletes no data that dmctl cannot prove it made: a thin id no device
// file names is of unknown origin (a lost file, or another program's
// device in the pool) and is deleted only when the caller names it in
// deleteThin, which must list only such orphans. Files of lost devices are
// kept while the pool's metadata is older than the files (it was restored
// from a copy: the files are what is left to recover from), and two files
// claiming one thin id are left for the admin. Open transactions are
// finished or rolled back by Open with Write, before Check runs.
func (p *Pool) Repair(r CheckReport, deleteThin []int) ([]string, error) {
	if err := p.writable(); err != nil {
		return nil, err
	}
	orphan := map[int]bool{}
	metadataOlder := false
	for _, f := range r.Findings {
		switch f.Kind {
		case FindingOrphanThin:
			orphan[f.thinID] = true
		case FindingTxnMismatch:
			metadataOlder = true
		}
	}
	wanted := map[int]bool{}
	var errs []error
	for _, id := range deleteThin {
		if !orphan[id] {
			errs = append(errs, fmt.Errorf("thin id %d is not an orphan thin id of pool %s (check lists them): not deleting it", id, p.names.Pool))
		}
		wanted[id] = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var done []string
	for _, f := range r.Findings {
		var err error
		switch f.Kind {
		case FindingLostDevice:
			if metadataOlder {
				done = append(done, "kept the file of device "+f.id+" (the pool's metadata is older than the files)")
				continue
			}
			if err = p.store.RemoveDevice(f.id); err == nil {
				p.forgetDevice(f.id)
				done = append(done, "removed the file of device "+f.id)
			}
		case FindingDeletedPresent:
			var m DeviceMeta
			if m, err = p.store.ReadDevice(f.id); err == nil {
				if _, err = p.deleteThin(m, false); err == nil {
					done = append(done, "finished the deletion of device "+f.id)
				}
			}
		case FindingOrphanThin:
			if !wanted[f.thinID] {
				done = append(done, fmt.Sprintf("left thin id %d (unknown origin; --delete-thin %d deletes it and its data)", f.thinID, f.thinID))
				continue
			}
			if err = p.loadThinState(); err == nil {
				if err = p.message(msgDelete(f.thinID)); err == nil || errors.Is(err, syscall.ENODATA) {
					err = nil
					p.ids.free(f.thinID)
					done = append(done, fmt.Sprintf("deleted orphan thin id %d", f.thinID))
				}
			}
		case FindingOrphanDM:
			if _, err = p.env.DM.Remove(f.id, removeOpts(false)); err == nil {
				done = append(done, "removed dm device "+f.id)
			}
		case FindingSuspended:
			if _, err = p.env.DM.Resume(f.id); err == nil {
				done = append(done, "resumed "+f.id)
			}
		case FindingHalfMade:
			if err = p.removeHalfMade(f.id); err == nil {
				err = p.resumeLeftSuspended(f.id)
			}
			if err == nil {
				done = append(done, "finished off half-made device "+f.id)
			}
		case FindingLink:
			if err = p.store.remove(f.id); err == nil {
				done = append(done, "removed "+f.Subject)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("repair %s %s: %w", f.Kind, f.Subject, err))
		}
	}
	return done, errors.Join(errs...)
}
