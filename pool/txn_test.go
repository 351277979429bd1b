package pool

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// hookedEnv is k's Env with every state-file change counted as a step of
// k's crasher.
func hookedEnv(k *fakeKernel) Env {
	env := k.env()
	env.storeHook = func(op, path string) error { return k.crash.step(op + " " + filepath.Base(path)) }
	return env
}

// restart opens the root as a new process would after a kill: the lock is
// free, the kernel's devices and the files are as the kill left them.
func restart(t *testing.T, k *fakeKernel, root string) *Pool {
	t.Helper()
	p, err := Open(root, k.env(), OpenOptions{Write: true})
	if err != nil {
		t.Fatalf("Open after the kill = %v", err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.RecoveryError(); err != nil {
		t.Fatalf("recovery after the kill = %v", err)
	}
	return p
}

// stillWorks checks the pool takes a new snapshot and lets it go.
func stillWorks(t *testing.T, k *fakeKernel, p *Pool) {
	t.Helper()
	if _, err := p.CreateSnapshot("after", "", 0); err != nil {
		t.Fatalf("CreateSnapshot after recovery = %v", err)
	}
	if _, err := p.RemoveSnapshot([]string{"after"}, false); err != nil {
		t.Fatalf("RemoveSnapshot after recovery = %v", err)
	}
	checkConsistent(t, k, p)
}

// TestKillAtEveryStep kills each operation before each of its steps (every
// kernel change and every state-file change), then checks that the next
// command's recovery leaves the pool consistent: the thin ids in the pool
// are exactly those the device files name, nothing is pending, the device
// either exists whole or not at all, and the pool still works.
func TestKillAtEveryStep(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, k *fakeKernel, p *Pool)
		op    func(p *Pool) error
		check func(t *testing.T, k *fakeKernel, p *Pool, finished bool)
	}{
		{
			name: "create snapshot",
			op:   func(p *Pool) error { _, err := p.CreateSnapshot("s", "", 0); return err },
			check: func(t *testing.T, k *fakeKernel, p *Pool, finished bool) {
				if _, err := p.Store().ReadDevice("s"); finished && err != nil {
					t.Errorf("finished snapshot missing: %v", err)
				}
			},
		},
		{
			name: "snapshot of an active origin",
			setup: func(t *testing.T, k *fakeKernel, p *Pool) {
				mustSnap(t, p, "img", "")
				if _, err := p.ActivateDevice("img"); err != nil {
					t.Fatal(err)
				}
			},
			op: func(p *Pool) error { _, err := p.CreateSnapshot("s", "img", 0); return err },
			check: func(t *testing.T, k *fakeKernel, p *Pool, finished bool) {
				info, err := k.Info(p.Names().Device("img"))
				if err != nil || info.Suspended() {
					t.Errorf("origin after recovery: %+v, %v, want active and resumed", info, err)
				}
			},
		},
		{
			name:  "remove snapshot",
			setup: func(t *testing.T, k *fakeKernel, p *Pool) { mustSnap(t, p, "s", "") },
			op:    func(p *Pool) error { _, err := p.RemoveSnapshot([]string{"s"}, false); return err },
			check: func(t *testing.T, k *fakeKernel, p *Pool, finished bool) {
				if _, err := p.Store().ReadDevice("s"); finished && err == nil {
					t.Errorf("removed snapshot still recorded")
				}
			},
		},
		{
			name: "remove a busy snapshot, deferred",
			setup: func(t *testing.T, k *fakeKernel, p *Pool) {
				mustSnap(t, p, "s", "")
				info, err := p.ActivateDevice("s")
				if err != nil {
					t.Fatal(err)
				}
				k.opens[info.Dev] = 1
			},
			op: func(p *Pool) error { _, err := p.RemoveSnapshot([]string{"s"}, true); return err },
		},
		{
			name: "extend",
			op:   func(p *Pool) error { _, err := p.Extend(ExtendOptions{DataSize: 128 << 20}); return err },
			check: func(t *testing.T, k *fakeKernel, p *Pool, finished bool) {
				info, err := k.Info(p.Names().Pool)
				if err != nil || info.Suspended() {
					t.Errorf("pool after recovery: %+v, %v, want resumed", info, err)
				}
			},
		},
		{
			name: "activate after reboot",
			setup: func(t *testing.T, k *fakeKernel, p *Pool) {
				mustSnap(t, p, "s", "")
				k.reboot()
			},
			op: func(p *Pool) error { return p.Activate() },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for at := 1; ; at++ {
				k, root, p := newLoopPool(t)
				if tc.setup != nil {
					tc.setup(t, k, p)
				}
				p.Close()
				q, err := Open(root, hookedEnv(k), OpenOptions{Write: true})
				if err != nil {
					t.Fatal(err)
				}
				k.crash = &crasher{at: at}
				err = tc.op(q)
				crashed := k.crash.crashed
				k.crash = nil
				q.Close()
				if !crashed && err != nil {
					t.Fatalf("%s without a kill = %v", tc.name, err)
				}
				// A kill at a step whose failure the operation tolerates
				// (removing a committed transaction's file) returns nil.
				if crashed && err != nil && !errors.Is(err, errCrash) {
					t.Fatalf("kill before step %d: %s = %v, want the crash", at, tc.name, err)
				}
				r := restart(t, k, root)
				if tc.name == "activate after reboot" || crashed {
					if err := r.Activate(); err != nil {
						t.Fatalf("kill before step %d: Activate = %v", at, err)
					}
				}
				checkConsistent(t, k, r)
				if tc.check != nil {
					tc.check(t, k, r, !crashed)
				}
				stillWorks(t, k, r)
				if !crashed {
					t.Logf("%s: %d steps, each interrupted once", tc.name, at-1)
					break
				}
			}
		})
	}
}

func mustSnap(t *testing.T, p *Pool, id, origin string) {
	t.Helper()
	if _, err := p.CreateSnapshot(id, origin, 0); err != nil {
		t.Fatalf("CreateSnapshot(%s) = %v", id, err)
	}
}

// TestKillCreate kills Create before each of its steps; activate (or, when
// nothing was recorded yet, a new create) must then give a whole pool.
func TestKillCreate(t *testing.T) {
	for at := 1; ; at++ {
		k := newFakeKernel(t)
		root := t.TempDir()
		k.crash = &crasher{at: at}
		p, err := Create(root, testConfig(), hookedEnv(k), CreateOptions{})
		crashed := k.crash.crashed
		k.crash = nil
		if !crashed {
			if err != nil {
				t.Fatalf("Create = %v", err)
			}
			p.Close()
			t.Logf("Create: %d steps, each interrupted once", at-1)
			break
		}
		if err == nil {
			p.Close()
		} else if !errors.Is(err, errCrash) {
			t.Fatalf("kill before step %d: Create = %v, want the crash", at, err)
		}
		q, err := Open(root, k.env(), OpenOptions{Write: true})
		if errors.Is(err, ErrPoolNotFound) {
			q, err = Create(root, testConfig(), k.env(), CreateOptions{})
			if err != nil {
				t.Fatalf("kill before step %d: Create again = %v", at, err)
			}
		} else if err != nil {
			t.Fatalf("kill before step %d: Open = %v", at, err)
		} else if err := q.Activate(); err != nil {
			t.Fatalf("kill before step %d: Activate = %v", at, err)
		}
		base, err := q.Store().ReadDevice(BaseID)
		if err != nil || !base.Initialized {
			t.Errorf("kill before step %d: base = %+v, %v, want initialized", at, base, err)
		}
		checkConsistent(t, k, q)
		stillWorks(t, k, q)
		q.Close()
	}
}

func TestRecoveryCases(t *testing.T) {
	tests := []struct {
		name string
		// prepare leaves the pool as an interrupted command would and
		// returns the transaction file to write.
		prepare func(t *testing.T, k *fakeKernel, p *Pool) Transaction
		check   func(t *testing.T, k *fakeKernel, p *Pool)
	}{
		{
			name: "create interrupted after create_thin",
			prepare: func(t *testing.T, k *fakeKernel, p *Pool) Transaction {
				k.poolOf(p.Names().Pool).thins[9] = fakeFS{}
				return Transaction{OpenTransactionID: 2, DeviceHash: "x", DeviceID: 9}
			},
			check: func(t *testing.T, k *fakeKernel, p *Pool) {
				if _, ok := k.poolOf(p.Names().Pool).thins[9]; ok {
					t.Errorf("thin 9 not rolled back")
				}
			},
		},
		{
			name: "create interrupted after the device file",
			prepare: func(t *testing.T, k *fakeKernel, p *Pool) Transaction {
				k.poolOf(p.Names().Pool).thins[9] = fakeFS{}
				p.Store().WriteDevice(DeviceMeta{ID: "x", DeviceID: 9, Size: 512, TransactionID: 2})
				return Transaction{OpenTransactionID: 2, DeviceHash: "x", DeviceID: 9}
			},
			check: func(t *testing.T, k *fakeKernel, p *Pool) {
				if _, err := p.Store().ReadDevice("x"); !errors.Is(err, ErrDeviceNotFound) {
					t.Errorf("device x not rolled back: %v", err)
				}
			},
		},
		{
			name: "create committed, file not removed",
			prepare: func(t *testing.T, k *fakeKernel, p *Pool) Transaction {
				k.poolOf(p.Names().Pool).thins[9] = fakeFS{}
				k.poolOf(p.Names().Pool).txID = 2
				p.Store().WriteDevice(DeviceMeta{ID: "x", DeviceID: 9, Size: 512, TransactionID: 2})
				return Transaction{OpenTransactionID: 2, DeviceHash: "x", DeviceID: 9}
			},
			check: func(t *testing.T, k *fakeKernel, p *Pool) {
				if _, err := p.Store().ReadDevice("x"); err != nil {
					t.Errorf("committed device x lost: %v", err)
				}
			},
		},
		{
			name: "delete committed, thin id still there",
			prepare: func(t *testing.T, k *fakeKernel, p *Pool) Transaction {
				k.poolOf(p.Names().Pool).thins[9] = fakeFS{}
				k.poolOf(p.Names().Pool).txID = 2
				return Transaction{OpenTransactionID: 2, DeviceHash: "x", DeviceID: 9}
			},
		},
		{
			name: "stale file older than the pool",
			prepare: func(t *testing.T, k *fakeKernel, p *Pool) Transaction {
				k.poolOf(p.Names().Pool).txID = 5
				return Transaction{OpenTransactionID: 3, DeviceHash: "", DeviceID: 1}
			},
			check: func(t *testing.T, k *fakeKernel, p *Pool) {
				if _, ok := k.poolOf(p.Names().Pool).thins[1]; !ok {
					t.Errorf("base thin deleted by a stale transaction file")
				}
			},
		},
		{
			name: "rollback of a busy device keeps it, marked deleted",
			prepare: func(t *testing.T, k *fakeKernel, p *Pool) Transaction {
				mustSnap(t, p, "s", "")
				info, err := p.ActivateDevice("s")
				if err != nil {
					t.Fatal(err)
				}
				k.opens[info.Dev] = 1
				m, _ := p.Store().ReadDevice("s")
				return Transaction{OpenTransactionID: k.poolOf(p.Names().Pool).txID + 1, DeviceHash: "s", DeviceID: m.DeviceID}
			},
			check: func(t *testing.T, k *fakeKernel, p *Pool) {
				m, err := p.Store().ReadDevice("s")
				if err != nil || !m.Deleted {
					t.Errorf("busy device after rollback = %+v, %v, want kept and marked deleted", m, err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, root, p := newLoopPool(t)
			tx := tc.prepare(t, k, p)
			if err := p.Store().WriteTransaction(tx); err != nil {
				t.Fatal(err)
			}
			p.Close()
			r := restart(t, k, root)
			checkConsistent(t, k, r)
			if tc.check != nil {
				tc.check(t, k, r)
			}
		})
	}
}

func TestRecoveryRefusesForeignThinID(t *testing.T) {
	k, root, p := newLoopPool(t)
	mustSnap(t, p, "s", "")
	m, _ := p.Store().ReadDevice("s")
	p.Store().WriteTransaction(Transaction{OpenTransactionID: 9, DeviceHash: "other", DeviceID: m.DeviceID})
	p.Close()
	q, err := Open(root, k.env(), OpenOptions{Write: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.RecoveryError(); err == nil || !strings.Contains(err.Error(), "belongs to device s") {
		t.Errorf("recovery of a transaction naming another device's thin id = %v, want a refusal", err)
	}
	if _, err := q.CreateSnapshot("x", "", 0); err == nil || !strings.Contains(err.Error(), "interrupted transaction") {
		t.Errorf("CreateSnapshot with a failed recovery = %v, want a refusal", err)
	}
	if _, ok := k.poolOf(q.Names().Pool).thins[m.DeviceID]; !ok {
		t.Errorf("thin id of device s deleted")
	}
	if err := q.Deactivate(false); err != nil {
		t.Errorf("Deactivate with a failed recovery = %v, want it to work", err)
	}
}

func TestCreateRetriesTakenThinID(t *testing.T) {
	k, _, p := newLoopPool(t)
	k.poolOf(p.Names().Pool).thins[2] = fakeFS{} // made behind dmctl's back
	m, err := p.CreateSnapshot("s", "", 0)
	if err != nil || m.DeviceID != 3 {
		t.Errorf("CreateSnapshot with thin id 2 taken = %+v, %v, want thin id 3", m, err)
	}
	if _, ok := k.poolOf(p.Names().Pool).thins[2]; !ok {
		t.Errorf("foreign thin id 2 deleted")
	}
}

func TestForeignWriterDetected(t *testing.T) {
	k, _, p := newLoopPool(t)
	if err := p.loadThinState(); err != nil {
		t.Fatal(err)
	}
	k.poolOf(p.Names().Pool).txID = 7 // another program moved the pool on
	_, err := p.CreateSnapshot("s", "", 0)
	if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "another program") {
		t.Errorf("CreateSnapshot after a foreign change = %v, want the compare-and-swap failure", err)
	}
	if _, err := p.Store().ReadDevice("s"); !errors.Is(err, ErrDeviceNotFound) {
		t.Errorf("device s recorded after a failed transaction")
	}
	if len(k.poolOf(p.Names().Pool).thins) != 1 {
		t.Errorf("thin ids after a failed transaction = %v, want the base only", k.poolOf(p.Names().Pool).thins)
	}
}

func TestCommitsPerOperation(t *testing.T) {
	k, _, p := newLoopPool(t)
	tp := k.poolOf(p.Names().Pool)
	before := tp.commits
	mustSnap(t, p, "s", "")
	if got := tp.commits - before; got != 2 {
		t.Errorf("CreateSnapshot cost %d metadata commits, want 2 (create_snap, set_transaction_id)", got)
	}
	before = tp.commits
	if _, err := p.RemoveSnapshot([]string{"s"}, false); err != nil {
		t.Fatal(err)
	}
	if got := tp.commits - before; got != 2 {
		t.Errorf("RemoveSnapshot cost %d metadata commits, want 2 (delete, set_transaction_id)", got)
	}
}

func TestFailedRollbackBlocksFurtherChanges(t *testing.T) {
	k, root, p := newLoopPool(t)
	k.failMsg["set_transaction_id"] = dmErr("message", p.Names().Pool, syscall.EOPNOTSUPP)
	k.failMsg["delete"] = dmErr("message", p.Names().Pool, syscall.EOPNOTSUPP)
	if _, err := p.CreateSnapshot("a", "", 0); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Fatalf("CreateSnapshot with a failing pool = %v, want EOPNOTSUPP", err)
	}
	if _, err := p.CreateSnapshot("b", "", 0); err == nil || !strings.Contains(err.Error(), "still unfinished") {
		t.Errorf("CreateSnapshot after a failed rollback = %v, want a refusal", err)
	}
	k.failMsg = map[string]error{}
	p.Close()
	r := restart(t, k, root)
	checkConsistent(t, k, r)
	if _, err := r.Store().ReadDevice("a"); !errors.Is(err, ErrDeviceNotFound) {
		t.Errorf("half-made device a kept: %v", err)
	}
	stillWorks(t, k, r)
}

func TestSnapshotOfOriginPendingRemoval(t *testing.T) {
	k, _, p := newLoopPool(t)
	mustSnap(t, p, "img", "")
	info, err := p.ActivateDevice("img")
	if err != nil {
		t.Fatal(err)
	}
	k.opens[info.Dev] = 1
	if err := p.DeactivateDevice("img", true); err != nil {
		t.Fatalf("DeactivateDevice(deferred) = %v", err)
	}
	if i, _ := k.Info(p.Names().Device("img")); !i.DeferredRemove() {
		t.Fatalf("deferred removal not pending")
	}
	mustSnap(t, p, "ctr", "img")
	i, err := k.Info(p.Names().Device("img"))
	if err != nil || !i.DeferredRemove() || i.Suspended() {
		t.Errorf("origin after snapshot = %+v, %v, want resumed with its deferred removal pending again", i, err)
	}
	k.closeDevice(info.Dev)
	if _, err := k.Info(p.Names().Device("img")); !isNoDevice(err) {
		t.Errorf("origin not removed at its last close: %v", err)
	}
}
