//go:build linux

package pool

import (
	"fmt"
	"path/filepath"
	"sort"
)

// Who owns a thin id.
//
// The pool's metadata knows thin ids only by number; the device files under
// metadata/ say which device each belongs to. dmctl discards, deletes or
// activates a thin id only when exactly one device file claims it: a
// second file with the same device_id (a copied file, a bad restore, a
// hand edit) would make "snapshot rm" of one device delete the other's
// data, and "activate" of both give two writable mappings of one
// filesystem. Such a state is refused before anything changes, and check
// reports it without repairing it: which file is right is for the admin
// to say.

// DuplicateClaim is a thin id two or more device files claim.
type DuplicateClaim struct {
	ThinID int
	IDs    []string // the device ids (file names), sorted
}

// duplicateClaims returns every thin id claimed by more than one device
// file, by thin id.
func duplicateClaims(devs []DeviceMeta) []DuplicateClaim {
	byThin := make(map[int][]string, len(devs))
	for _, d := range devs {
		byThin[d.DeviceID] = append(byThin[d.DeviceID], d.ID)
	}
	var out []DuplicateClaim
	for id, ids := range byThin {
		if len(ids) > 1 {
			sort.Strings(ids)
			out = append(out, DuplicateClaim{ThinID: id, IDs: ids})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ThinID < out[j].ThinID })
	return out
}

// describe names the files of a duplicate claim.
func (s *Store) describeClaim(c DuplicateClaim) string {
	paths := make([]string, len(c.IDs))
	for i, id := range c.IDs {
		paths[i] = filepath.Join(s.MetadataDir(), id)
	}
	return fmt.Sprintf("thin id %d is claimed by %d device files, %s", c.ThinID, len(paths), joinAnd(paths))
}

// claimsError refuses a state in which device files claim one thin id
// twice, naming the files, or returns nil.
func (p *Pool) claimsError(devs []DeviceMeta) error {
	dups := duplicateClaims(devs)
	if len(dups) == 0 {
		return nil
	}
	return fmt.Errorf("%s: refusing to change pool %s until one of them is removed or corrected (dmctl check reports it): %w",
		p.store.describeClaim(dups[0]), p.names.Pool, ErrAmbiguousState)
}

// checkClaims reads every device file and refuses when two claim one thin
// id. Activations call it: a second mapping of a thin id is as dangerous
// as deleting it.
func (p *Pool) checkClaims() error {
	devs, err := p.store.Devices()
	if err != nil {
		return err
	}
	return p.claimsError(devs)
}

// joinAnd joins words as "a, b and c".
func joinAnd(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	s := words[0]
	for _, w := range words[1 : len(words)-1] {
		s += ", " + w
	}
	return s + " and " + words[len(words)-1]
}
