package sandbox

import (
	"time"
)

// Every change outside the payment path (PAR, consent page, /token, registration, a consent
// PATCH, the admin controls) changes a few records. Rewriting state.json for each cost
// O(state) per request (2.6–2.9× an in-memory bank per onboarding at 200 consents,
// BenchmarkConsentRound), so those requests mark the records they change and commitLocked
// appends just those records to the journal (one line, on disk before the answer), as the
// payment path does. Only a compaction (journal.go) rewrites state.json.

// recordKind names one keyed map of bankState that the flow changes.
type recordKind int

const (
	kindConsent recordKind = iota
	kindPAR
	kindCode
	kindAccess
	kindRefresh
	kindJTI
	kindClient
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
	Clients  map[string]*Client        `json:"clients,omitempty"`
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
			case kindClient:
				d.Clients = put(d.Clients, key, b.st.Clients[key])
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

// commitLocked makes the marked changes (and a changed balance) durable with one journal line
// and prunes now and then. The caller answers the client only after it returns nil. It waits
// for the disk holding b.mu; the payment path, which must not, uses appendLocked and waits
// after unlocking. Caller holds b.mu.
func (b *Bank) commitLocked() error {
	b.maybePruneLocked()
	if b.jw == nil || (b.dirty.empty() && !b.balanceDirty) {
		b.dirty, b.balanceDirty = dirtySet{}, false
		return nil
	}
	seq, err := b.appendLocked(journalEntry{BalanceFils: b.st.BalanceFils})
	if err != nil {
		return err
	}
	return b.jw.wait(seq)
}

// apply replays a delta over a loaded state.
func (d *stateDelta) apply(st *bankState) {
	applyRecords(st.Consents, d.Consents)
	applyRecords(st.PARs, d.PARs)
	applyRecords(st.Codes, d.Codes)
	applyRecords(st.Access, d.Access)
	applyRecords(st.Refresh, d.Refresh)
	applyRecords(st.Clients, d.Clients)
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
