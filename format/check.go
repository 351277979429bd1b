package format

import (
	"bytes"
	"fmt"
)

// CheckRecord is check's report: what it compared and what it found.
type CheckRecord struct {
	PoolName      string         `json:"pool_name" doc:"the pool's device-mapper name"`
	Consistent    bool           `json:"consistent" doc:"nothing but notices was found (check then exits 0)"`
	TransactionID uint64         `json:"transaction_id" doc:"the pool's metadata transaction id"`
	ThinIDs       int            `json:"thin_ids" doc:"thin devices in the pool's metadata"`
	DeviceFiles   int            `json:"device_files" doc:"device files under ROOT/metadata"`
	Findings      []CheckFinding `json:"findings" doc:"what disagrees, one entry a problem"`
	Repaired      []string       `json:"repaired" doc:"with --repair: what was repaired, before the findings were read again"`
}

// CheckFinding is one problem check found.
type CheckFinding struct {
	Kind        string    `json:"kind" doc:"what kind of problem, one word"`
	Subject     string    `json:"subject" doc:"the device, thin id or file it concerns"`
	Detail      string    `json:"detail" doc:"what is wrong, for people"`
	Repair      OptString `json:"repair" doc:"what --repair would do; null when dmctl cannot repair it"`
	DeletesData bool      `json:"deletes_data" doc:"the repair deletes a thin device's data (needs --delete-thin)"`
	Notice      bool      `json:"notice" doc:"for information only (another program's thin id in a shared pool): the pool is still consistent"`
}

// CheckTable is the table of check's findings.
var CheckTable TableView = checkTable

var checkTable = &table[CheckFinding]{what: "check", cols: []column[CheckFinding]{
	{name: "PROBLEM", about: "what kind of problem", get: func(f *CheckFinding) cell { return text(f.Kind) }},
	{name: "SUBJECT", about: "the device, thin id or file", get: func(f *CheckFinding) cell { return text(f.Subject) }},
	{name: "DETAIL", about: "what is wrong, then what --repair would do", get: func(f *CheckFinding) cell {
		switch {
		case f.Notice:
			return text("notice: " + f.Detail)
		case f.Repair != "" && f.DeletesData:
			return text(f.Detail + " (repair: " + string(f.Repair) + ", with --delete-thin: deletes data)")
		case f.Repair != "":
			return text(f.Detail + " (repair: " + string(f.Repair) + ")")
		}
		return text(f.Detail)
	}},
	{name: "REPAIR", extra: true, about: "what --repair would do", get: func(f *CheckFinding) cell { return text(string(f.Repair)) }},
	{name: "DELETES_DATA", extra: true, about: "yes when the repair deletes data", get: func(f *CheckFinding) cell { return yesNo(f.DeletesData) }},
	{name: "NOTICE", extra: true, about: "yes for a finding reported for information only", get: func(f *CheckFinding) cell { return yesNo(f.Notice) }},
}}

// Check prints check's report. Table prints a "repaired: ..." line per
// repair, then for a consistent pool a "notice: KIND SUBJECT: DETAIL" line
// per notice and "pool NAME: consistent (...)", otherwise the findings'
// table; JSON the record.
func Check(out Output, r CheckRecord) error {
	k, err := out.Kind.resolve("check")
	if err != nil {
		return err
	}
	if k == JSON {
		r.Findings, r.Repaired = nonNil(r.Findings), nonNil(r.Repaired)
		return writeJSON(out.W, "check", r)
	}
	var b bytes.Buffer
	for _, s := range r.Repaired {
		fmt.Fprintf(&b, "repaired: %s\n", s)
	}
	if r.Consistent {
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "notice: %s %s: %s\n", f.Kind, f.Subject, f.Detail)
		}
		fmt.Fprintf(&b, "pool %s: consistent (%d device files, %d thin ids, transaction %d)\n",
			r.PoolName, r.DeviceFiles, r.ThinIDs, r.TransactionID)
	}
	if err := flush(out.W, "check", &b); err != nil || r.Consistent {
		return err
	}
	return checkTable.write(out, r.Findings)
}

// MessageRecord is a target's reply to message.
type MessageRecord struct {
	Reply OptString `json:"reply" doc:"what the target answered; null when it answered nothing"`
}

// Message prints a target's reply: the text and a newline (nothing when
// there is none); JSON the record.
func Message(out Output, r MessageRecord) error {
	k, err := out.Kind.resolve("message")
	if err != nil {
		return err
	}
	if k == JSON {
		return writeJSON(out.W, "message", r)
	}
	if r.Reply == "" {
		return nil
	}
	_, err = out.W.Write([]byte(string(r.Reply) + "\n"))
	return err
}
