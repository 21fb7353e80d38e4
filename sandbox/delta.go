package sandbox

import (
	"time"
)

// The authorization flow (PAR, consent page, /token) changes a few records per request.
// Rewriting state.json for each cost O(state) per request (2.6–2.9× an in-memory bank per
// onboarding at 200 consents, BenchmarkConsentRound), so those requests mark the records they
// change and commitLocked appends just those records to the journal (one fsync'd line), as
// the payment path does. Acknowledged changes survive a crash exactly as before. A full save
// (registration, admin controls, consent PATCH, journal compaction, load, Close) rewrites
// state.json and empties the journal.

// recordKind names one keyed map of bankState that the flow changes.
type recordKind int

const (
	kindConsent recordKind = iota
	kindPAR
	kindCode
	kindAccess
	kindRefresh
	kindJTI
	numRecordKinds
)

// dirtySet holds the keys changed since the last save, per kind.
type dirtySet [numRecordKinds]map[string]struct{}

// empty reports whether no record is marked.
func (d *dirtySet) empty() bool {
	for _, keys := range d {
		if len(keys) > 0 {
			return false
		}
	}
	return true
}

// stateDelta is the journal form of changed records: a key mapped to null was deleted.
type stateDelta struct {
	Consents map[string]*consentRecord `json:"consents,omitempty"`
	PARs     map[string]*parRecord     `json:"pars,omitempty"`
	Codes    map[string]*codeRecord    `json:"codes,omitempty"`
	Access   map[string]*tokenRecord   `json:"access_tokens,omitempty"`
	Refresh  map[string]*tokenRecord   `json:"refresh_tokens,omitempty"`
	JTIs     map[string]*time.Time     `json:"jtis,omitempty"`
}

// touchLocked marks a record changed, so the next commit journals it. Every change to a record
// in these maps outside a full save must be marked. Caller holds b.mu.
func (b *Bank) touchLocked(k recordKind, key string) {
	if b.cfg.DataDir == "" {
		return
	}
	if b.dirty[k] == nil {
		b.dirty[k] = map[string]struct{}{}
	}
	b.dirty[k][key] = struct{}{}
}

// deltaLocked collects the marked records as they are now; nil when nothing is marked.
func (b *Bank) deltaLocked() *stateDelta {
	var d stateDelta
	n := 0
	for k, keys := range b.dirty {
		for key := range keys {
			n++
			switch recordKind(k) {
			case kindConsent:
				d.Consents = put(d.Consents, key, b.st.Consents[key])
			case kindPAR:
				d.PARs = put(d.PARs, key, b.st.PARs[key])
			case kindCode:
				d.Codes = put(d.Codes, key, b.st.Codes[key])
			case kindAccess:
				d.Access = put(d.Access, key, b.st.Access[key])
			case kindRefresh:
				d.Refresh = put(d.Refresh, key, b.st.Refresh[key])
			case kindJTI:
				var exp *time.Time
				if t, ok := b.st.JTIs[key]; ok {
					exp = &t
				}
				d.JTIs = put(d.JTIs, key, exp)
			}
		}
	}
	if n == 0 {
		return nil
	}
	return &d
}

// put adds key → v (nil: deleted) to m, making m on first use.
func put[T any](m map[string]*T, key string, v *T) map[string]*T {
	if m == nil {
		m = map[string]*T{}
	}
	m[key] = v
	return m
}

// commitLocked makes the marked changes durable with one journal line (or a full save when
// the journal has grown past journalCompactBytes). The caller answers the client only after
// it returns nil, as with a full save. Caller holds b.mu.
func (b *Bank) commitLocked() error {
	if b.cfg.DataDir == "" {
		b.pruneLocked()
		return nil
	}
	d := b.deltaLocked()
	if d == nil {
		b.pruneLocked()
		return nil
	}
	if err := b.appendJournalLocked(journalEntry{Delta: d, BalanceFils: b.st.BalanceFils}); err != nil {
		return err
	}
	// Pruning after the write: what it drops is expired or revoked, and harmless if a replay
	// brings it back (the next prune drops it again).
	b.dirty = dirtySet{}
	b.pruneLocked()
	if b.journalBytes > journalCompactBytes {
		return b.saveLocked()
	}
	return nil
}

// apply replays a delta over a loaded state.
func (d *stateDelta) apply(st *bankState) {
	applyRecords(st.Consents, d.Consents)
	applyRecords(st.PARs, d.PARs)
	applyRecords(st.Codes, d.Codes)
	applyRecords(st.Access, d.Access)
	applyRecords(st.Refresh, d.Refresh)
	for k, v := range d.JTIs {
		if v == nil {
			delete(st.JTIs, k)
		} else {
			st.JTIs[k] = *v
		}
	}
}

func applyRecords[T any](dst map[string]*T, src map[string]*T) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
		} else {
			dst[k] = v
		}
	}
}
