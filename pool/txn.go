//go:build linux

package pool

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"
)

// Thin-pool messages (sent to sector 0 of the pool).
func msgCreateThin(id int) string { return "create_thin " + strconv.Itoa(id) }
func msgCreateSnap(id, origin int) string {
	return "create_snap " + strconv.Itoa(id) + " " + strconv.Itoa(origin)
}
func msgDelete(id int) string { return "delete " + strconv.Itoa(id) }
func msgSetTransactionID(old, new uint64) string {
	return "set_transaction_id " + strconv.FormatUint(old, 10) + " " + strconv.FormatUint(new, 10)
}

// hashOf returns the name Docker's transaction file gives a device: "" for
// the base device.
func hashOf(id string) string {
	if id == BaseID {
		return ""
	}
	return id
}

// The transaction protocol.
//
// Every change of the pool's thin ids (create_thin, create_snap, delete)
// is a transaction, exactly as in Docker's driver, so that Docker's and
// dmctl's recovery agree on a root either of them wrote:
//
//  1. open: write transaction-metadata {open_transaction_id: T+1,
//     device_hash, device_id}, where T is the pool's transaction id;
//  2. the kernel message (each message is a metadata commit);
//  3. write the device's JSON file (transaction_id T+1), or remove it for
//     a delete;
//  4. close: "set_transaction_id T T+1" (a second commit, and a
//     compare-and-swap: it fails if anyone else changed the pool), then
//     read the pool's status (no commit) to see the id did move: the
//     kernel answers a message before its metadata commit, and a commit
//     that fails rolls the pool back (read-only) while the message
//     succeeds; then the transaction is not closed, and recovery deals
//     with it once the pool can change again;
//  5. remove transaction-metadata (Docker left it in place; an open id
//     equal to the pool's means the same thing: nothing pending).
//
// A removal discards the device's blocks and deactivates it between steps
// 1 and 2 (deleteThinAfter): once its data may be gone, only finishing the
// delete is right, and an open delete transaction is what makes recovery
// finish it.
//
// Before any change, every device file is read and two files claiming
// one thin id stop everything (owners.go): the protocol's "delete the id
// the file names" would otherwise delete another device's data.
//
// Recovery (at the start of every mutating command, under the lock) reads
// transaction-metadata and the pool's transaction id P:
//
//   - open id > P: step 4 never happened, so the pool does not know the
//     transaction finished. Roll it back: "delete <id>" (ENODATA, the id
//     is not in the pool, is fine), remove the device's JSON if it names
//     that id, free the id, remove the file. This undoes a create at any
//     step and finishes a delete at any step, so a kill -9 anywhere leaks
//     no thin id (the kernel's id goes with the JSON) and loses no device
//     that was reported as made. A delete the kernel refuses because the
//     device is open (EBUSY) keeps the device, marked deleted, for a later
//     deferred deletion; any other failure keeps the file and stops the
//     command, since going on could leak the id.
//   - open id == P: step 4 happened; the transaction is complete. A
//     create's JSON exists and is kept. A delete's JSON is gone; the thin
//     id, if it is still in the pool and no device file names it, is
//     deleted (it cannot be, unless files were lost), then the file is
//     removed.
//   - open id < P: someone else moved the pool's transaction id on; as
//     Docker did, nothing is touched but the stale file.
//
// Fewer commits? Each operation costs two metadata commits (the message
// and set_transaction_id). Recovery alone does not need the second: the
// presence of transaction-metadata already says "not finished", and
// rolling back is "delete <id>" in every case, so a protocol that never
// bumps the transaction id would be crash-safe with one commit. dmctl does
// not use it: without set_transaction_id's compare-and-swap a second
// writer on the pool (a Docker daemon, which does not take dmctl's lock)
// would go unnoticed, and Docker's own recovery, and its refusal to adopt
// a pool with a non-zero transaction id, rely on the id moving. Reading
// the pool's status costs no commit: it is read with DM_NOFLUSH_FLAG.
//
// Kernel state outside this protocol (a suspended origin or pool, a
// device half made, a held metadata snapshot) is undone from the lock
// file's notes by the next command of any kind: see stalled.go.

// loadThinState reads what thin-id changes need: the pool's transaction
// id, the ids in use and deviceset-metadata. The pool must be active.
func (p *Pool) loadThinState() error {
	if p.ids != nil {
		return nil
	}
	st, err := p.poolStatus()
	if err != nil {
		return err
	}
	if st.Failed || (st.Mode != "" && !st.Writable()) {
		return p.modeError(st, "change thin devices")
	}
	devs, err := p.store.Devices()
	if err != nil {
		return err
	}
	if err := p.claimsError(devs); err != nil {
		return err
	}
	ds, _, err := p.store.ReadDeviceSet()
	if err != nil {
		return err
	}
	p.txID = st.TransactionID
	p.devset = ds
	p.ids = newIDSet(devs, ds.NextDeviceID)
	p.devices = devs
	return nil
}

// message sends a message to the pool.
func (p *Pool) message(msg string) error {
	_, err := p.env.DM.Message(p.names.Pool, 0, msg)
	return err
}

// openTransaction writes transaction-metadata for a change of devID.
func (p *Pool) openTransaction(id string, devID int) (Transaction, error) {
	t := Transaction{OpenTransactionID: p.txID + 1, DeviceHash: hashOf(id), DeviceID: devID}
	if err := p.beginTransaction(t); err != nil {
		return Transaction{}, err
	}
	return t, nil
}

// beginTransaction writes t as the open transaction, refusing while an
// earlier one that failed half-way is still open (only a recovery may
// touch it; a committed one's leftover file is simply replaced).
func (p *Pool) beginTransaction(t Transaction) error {
	old, ok, err := p.store.ReadTransaction()
	if err != nil {
		return fmt.Errorf("open transaction for %s: %w", t.ID(), err)
	}
	if ok && old.OpenTransactionID > p.txID {
		return fmt.Errorf("open transaction for %s: transaction %d (device %s) is still unfinished; run the command again to recover it",
			t.ID(), old.OpenTransactionID, old.ID())
	}
	if err := p.store.WriteTransaction(t); err != nil {
		return fmt.Errorf("open transaction for %s: %w", t.ID(), err)
	}
	return nil
}

// closeTransaction moves the pool's transaction id to the open one and
// removes transaction-metadata. The change is committed once the message
// succeeds; a failure to remove the file afterwards is left to the next
// recovery (an open id equal to the pool's means nothing is pending).
func (p *Pool) closeTransaction(t Transaction) error {
	if err := p.message(msgSetTransactionID(p.txID, t.OpenTransactionID)); err != nil {
		if st, serr := p.poolStatus(); serr == nil && (st.Failed || st.Mode != PoolModeReadWrite) {
			err = p.withMode(err)
		} else if errors.Is(err, syscall.EINVAL) {
			err = fmt.Errorf("%w (the pool's transaction id is no longer %d: is another program, such as a Docker daemon, using pool %s?)",
				err, p.txID, p.names.Pool)
		}
		return fmt.Errorf("close transaction %d: %w", t.OpenTransactionID, err)
	}
	// The kernel answers a message before it knows whether the metadata
	// commit after it worked: a failed commit rolls the pool back to its
	// last transaction (and makes it read-only) while the message still
	// succeeds. One status read (no commit) tells: the transaction is
	// done only when the pool's id moved. Otherwise it stays open for
	// recovery, which runs once the pool can change again.
	if st, err := p.poolStatus(); err != nil {
		return fmt.Errorf("close transaction %d: %w", t.OpenTransactionID, err)
	} else if st.TransactionID != t.OpenTransactionID {
		return fmt.Errorf("close transaction %d: the pool did not commit it (its transaction id is %d): %w",
			t.OpenTransactionID, st.TransactionID, p.modeError(st, "commit"))
	}
	p.txID = t.OpenTransactionID
	crashPoint("txn:committed")
	_ = p.store.RemoveTransaction() // see above: recovery finishes this
	return nil
}

// createThin creates a thin device (a snapshot of origin when origin is
// not nil) in one transaction and records it as meta (ID, Size and
// dmctl's fields set by the caller). An active origin is suspended around
// create_snap, after the transaction is opened, so that recovery knows to
// resume it. On failure nothing is left behind, or what is left is exactly
// what the next recovery undoes.
func (p *Pool) createThin(meta DeviceMeta, origin *DeviceMeta) (DeviceMeta, error) {
	if err := p.loadThinState(); err != nil {
		return DeviceMeta{}, err
	}
	devID, err := p.ids.allocate()
	if err != nil {
		return DeviceMeta{}, err
	}
	t := Transaction{OpenTransactionID: p.txID + 1, DeviceHash: hashOf(meta.ID), DeviceID: devID}
	msg := func() string { return msgCreateThin(t.DeviceID) }
	if origin != nil {
		t.Suspended = origin.ID
		msg = func() string { return msgCreateSnap(t.DeviceID, origin.DeviceID) }
	}
	if err := p.beginTransaction(t); err != nil {
		p.ids.free(devID)
		return DeviceMeta{}, fmt.Errorf("create thin device %s: %w", meta.ID, err)
	}
	crashPoint("create:opened")
	resume := func() error { return nil }
	if origin != nil {
		if resume, err = p.quiesceOrigin(*origin); err != nil {
			p.ids.free(devID)
			return DeviceMeta{}, fmt.Errorf("create thin device %s: %w", meta.ID, errors.Join(err, p.store.RemoveTransaction()))
		}
		crashPoint("create:suspended")
	}
	err = p.sendCreate(&t, msg)
	if err == nil {
		crashPoint("create:sent")
	}
	if rerr := resume(); rerr != nil {
		// The origin is still suspended. When the transaction is still
		// open, leave it so: the next recovery resumes the origin and
		// undoes the create.
		return DeviceMeta{}, fmt.Errorf("create thin device %s: %w", meta.ID, errors.Join(err, rerr))
	}
	if err != nil {
		return DeviceMeta{}, fmt.Errorf("create thin device %s: %w", meta.ID, err)
	}
	crashPoint("create:resumed")
	meta.DeviceID = t.DeviceID
	meta.TransactionID = t.OpenTransactionID
	if err := p.store.WriteDevice(meta); err != nil {
		return DeviceMeta{}, fmt.Errorf("create thin device %s: %w", meta.ID, errors.Join(err, p.rollback(t)))
	}
	crashPoint("create:recorded")
	if err := p.closeTransaction(t); err != nil {
		return DeviceMeta{}, fmt.Errorf("create thin device %s: %w", meta.ID, errors.Join(err, p.rollback(t)))
	}
	p.devices = append(p.devices, meta)
	if p.ids.last != p.devset.NextDeviceID {
		// Only where the next search starts: losing it costs nothing.
		p.devset.NextDeviceID = p.ids.last
		_ = p.store.WriteDeviceSet(p.devset)
	}
	return meta, nil
}

// sendCreate sends the create message of t, taking the next id while the
// pool says the id is taken. When the kernel refuses otherwise it made
// nothing, and the transaction is dropped.
func (p *Pool) sendCreate(t *Transaction, msg func() string) error {
	for {
		err := p.message(msg())
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EEXIST) {
			p.ids.free(t.DeviceID)
			err = p.withMode(err)
			if rmErr := p.store.RemoveTransaction(); rmErr != nil {
				err = errors.Join(err, rmErr)
			}
			return err
		}
		// The id is in the pool although no device file names it (a thin
		// made by someone else, or lost state): keep it marked used and
		// take the next one, as Docker did.
		id, err := p.ids.allocate()
		if err != nil {
			return errors.Join(err, p.rollback(*t))
		}
		t.DeviceID = id
		if err := p.store.WriteTransaction(*t); err != nil {
			return errors.Join(err, p.rollback(*t))
		}
	}
}

// deleteThin deletes a device's thin id and its JSON file in one
// transaction. When the kernel refuses because the device is open (EBUSY)
// and allowDefer is set, the device is marked deleted instead, for a later
// deferred deletion, and deferred is true.
func (p *Pool) deleteThin(meta DeviceMeta, allowDefer bool) (deferred bool, err error) {
	return p.deleteThinAfter(meta, allowDefer, nil)
}

// deleteThinAfter is deleteThin with a step run inside the transaction,
// before the delete message: removing the device discards its blocks and
// deactivates it there, so that a kill after the discard leaves an open
// delete transaction, which recovery finishes, and never a device that
// looks intact with its data gone. The step returns destroyed when it
// destroyed the device's data (discarded it): a failure after that still
// deletes the device, or marks it deleted when it cannot be deleted yet.
func (p *Pool) deleteThinAfter(meta DeviceMeta, allowDefer bool, step func() (destroyed bool, err error)) (deferred bool, err error) {
	if err := p.loadThinState(); err != nil {
		return false, err
	}
	t, err := p.openTransaction(meta.ID, meta.DeviceID)
	if err != nil {
		return false, err
	}
	crashPoint("delete:opened")
	if step != nil {
		destroyed, err := step()
		if err != nil && !destroyed {
			return false, errors.Join(err, p.store.RemoveTransaction())
		}
		if err != nil {
			allowDefer = true // its data is gone: it goes, now or once closed
		}
	}
	err = p.message(msgDelete(meta.DeviceID))
	if err == nil {
		crashPoint("delete:sent")
	}
	switch {
	case err == nil, errors.Is(err, syscall.ENODATA):
	case errors.Is(err, syscall.EBUSY) && allowDefer:
		meta.Deleted = true
		if err := p.store.WriteDevice(meta); err != nil {
			return false, fmt.Errorf("mark device %s deleted: %w", meta.ID, err)
		}
		p.replaceDevice(meta)
		if err := p.closeTransaction(t); err != nil {
			return false, fmt.Errorf("mark device %s deleted: %w", meta.ID, err)
		}
		return true, nil
	default:
		// Nothing changed in the pool.
		if rmErr := p.store.RemoveTransaction(); rmErr != nil {
			err = errors.Join(err, rmErr)
		}
		if errors.Is(err, syscall.EBUSY) {
			err = fmt.Errorf("%w: %w", ErrInUse, err)
		}
		return false, fmt.Errorf("delete thin device %s: %w", meta.ID, p.withMode(err))
	}
	// The thin id is gone: from here on a failure leaves the file for
	// recovery, which finishes the deletion.
	if err := p.store.RemoveDevice(meta.ID); err != nil {
		return false, fmt.Errorf("delete thin device %s: %w", meta.ID, err)
	}
	crashPoint("delete:unrecorded")
	p.forgetDevice(meta.ID)
	if err := p.closeTransaction(t); err != nil {
		return false, fmt.Errorf("delete thin device %s: %w", meta.ID, err)
	}
	p.ids.free(meta.DeviceID)
	return false, nil
}

// recoverTransaction finishes or rolls back the transaction an
// interrupted command left open (see the protocol above).
func (p *Pool) recoverTransaction() error {
	t, ok, err := p.store.ReadTransaction()
	if err != nil || !ok {
		return err
	}
	if err := p.loadThinState(); err != nil {
		return err
	}
	if t.Suspended != "" {
		if err := p.resumeIfSuspended(t.Suspended); err != nil {
			return err
		}
	}
	switch {
	case t.OpenTransactionID > p.txID:
		if err := p.rollback(t); err != nil {
			return fmt.Errorf("roll back interrupted transaction %d (device %s, thin id %d): %w",
				t.OpenTransactionID, t.ID(), t.DeviceID, err)
		}
	case t.OpenTransactionID == p.txID:
		if err := p.complete(t); err != nil {
			return fmt.Errorf("complete transaction %d (device %s, thin id %d): %w",
				t.OpenTransactionID, t.ID(), t.DeviceID, err)
		}
	default:
		if err := p.store.RemoveTransaction(); err != nil {
			return err
		}
	}
	return nil
}

// resumeIfSuspended resumes the device of id when it is suspended: an
// interrupted snapshot left its origin so.
func (p *Pool) resumeIfSuspended(id string) error {
	name := p.names.Device(id)
	info, err := p.env.DM.Info(name)
	if err != nil {
		if isNoDevice(err) {
			return nil
		}
		return err
	}
	if info.Suspended() {
		if _, err := p.env.DM.Resume(name); err != nil {
			return fmt.Errorf("resume %s: %w", name, err)
		}
	}
	return nil
}

// rollback undoes transaction t: the thin id goes, and with it the device
// file that names it.
func (p *Pool) rollback(t Transaction) error {
	id := t.ID()
	if owner := p.deviceWithThinID(t.DeviceID); owner != "" && owner != id {
		return fmt.Errorf("thin id %d belongs to device %s, not %s: refusing to delete it", t.DeviceID, owner, id)
	}
	err := p.message(msgDelete(t.DeviceID))
	switch {
	case err == nil, errors.Is(err, syscall.ENODATA):
	case errors.Is(err, syscall.EBUSY):
		// Someone has the device open: keep it, marked deleted, so that a
		// deferred deletion removes it later and its id stays accounted.
		return p.keepAsDeleted(t)
	default:
		return err
	}
	meta, err := p.store.ReadDevice(id)
	switch {
	case err == nil && meta.DeviceID == t.DeviceID:
		if err := p.store.RemoveDevice(id); err != nil {
			return err
		}
		p.forgetDevice(id)
	case err != nil && !errors.Is(err, ErrDeviceNotFound):
		return err
	}
	p.ids.free(t.DeviceID)
	return p.store.RemoveTransaction()
}

// keepAsDeleted records the device of t as deleted (writing its file if
// it had none) and drops the transaction.
func (p *Pool) keepAsDeleted(t Transaction) error {
	meta, err := p.store.ReadDevice(t.ID())
	switch {
	case errors.Is(err, ErrDeviceNotFound):
		meta = DeviceMeta{ID: t.ID(), DeviceID: t.DeviceID, TransactionID: t.OpenTransactionID}
	case err != nil:
		return err
	case meta.DeviceID != t.DeviceID:
		return fmt.Errorf("thin id %d is busy and device %s now names thin id %d", t.DeviceID, t.ID(), meta.DeviceID)
	}
	meta.Deleted = true
	if err := p.store.WriteDevice(meta); err != nil {
		return err
	}
	p.replaceDevice(meta)
	p.ids.markUsed(t.DeviceID)
	return p.store.RemoveTransaction()
}

// complete finishes a transaction the pool committed.
func (p *Pool) complete(t Transaction) error {
	_, err := p.store.ReadDevice(t.ID())
	switch {
	case err == nil:
		// A create (or a deferred delete) that finished: keep the device.
	case errors.Is(err, ErrDeviceNotFound):
		// A delete that finished; make sure the id did go.
		if p.deviceWithThinID(t.DeviceID) == "" {
			err := p.message(msgDelete(t.DeviceID))
			switch {
			case err == nil, errors.Is(err, syscall.ENODATA):
				p.ids.free(t.DeviceID)
			case errors.Is(err, syscall.EBUSY):
				return p.keepAsDeleted(t)
			default:
				return err
			}
		}
	default:
		return err
	}
	return p.store.RemoveTransaction()
}

// cleanupDeleted retries the deletion of devices marked deleted (deferred
// deletion), as Docker's deletion worker did. Devices still open are left
// for next time; other failures are returned together.
func (p *Pool) cleanupDeleted() error {
	if err := p.loadThinState(); err != nil {
		return err
	}
	var errs []error
	for _, d := range append([]DeviceMeta(nil), p.devices...) {
		if !d.Deleted {
			continue
		}
		name := p.names.Device(d.ID)
		info, err := p.env.DM.Info(name)
		if err == nil {
			if info.OpenCount > 0 {
				continue
			}
			if _, err := p.env.DM.Remove(name, removeOpts(false)); err != nil && !isNoDevice(err) {
				continue
			}
		} else if !isNoDevice(err) {
			errs = append(errs, err)
			continue
		}
		if _, err := p.deleteThin(d, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deviceWithThinID returns the id of the device whose file names thin id
// devID, or "".
func (p *Pool) deviceWithThinID(devID int) string {
	for _, d := range p.devices {
		if d.DeviceID == devID {
			return d.ID
		}
	}
	return ""
}

func (p *Pool) forgetDevice(id string) {
	for i, d := range p.devices {
		if d.ID == id {
			p.devices = append(p.devices[:i], p.devices[i+1:]...)
			return
		}
	}
}

func (p *Pool) replaceDevice(meta DeviceMeta) {
	for i, d := range p.devices {
		if d.ID == meta.ID {
			p.devices[i] = meta
			return
		}
	}
	p.devices = append(p.devices, meta)
}
