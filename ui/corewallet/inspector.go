package corewallet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/payterm/payterm/keystore"
	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/ui"
)

// InspectorConfig wires the protocol inspector.
type InspectorConfig struct {
	// ShowPII is true only on the embedded sandbox: personal data is otherwise masked.
	ShowPII bool
	// Verdicts returns the sandbox bank's checks for one interaction id (nil off-sandbox).
	Verdicts func(interactionID string) []ui.Verdict
	// BundleDir receives support bundles (created 0700; files 0600, written atomically).
	BundleDir string
	// ConsentID names the consent in use for the bundle (may be nil).
	ConsentID func(ctx context.Context) string
	Clock     func() time.Time
	// Keep bounds the exchanges held in memory (default 200).
	Keep int
}

// Inspector records the lfi client's exchanges (pass Observe as lfi.Config.Observer) and
// shows them as the delegated-SCA sequence. lfi has already redacted secrets; PII is marked and
// masked here unless ShowPII.
type Inspector struct {
	cfg InspectorConfig
	mu  sync.Mutex
	ex  []lfi.Exchange
}

var _ ui.InspectorService = (*Inspector)(nil)

// NewInspector fills defaults.
func NewInspector(cfg InspectorConfig) *Inspector {
	if cfg.Keep <= 0 {
		cfg.Keep = 200
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Inspector{cfg: cfg}
}

// Observe records one exchange; safe for concurrent use.
func (i *Inspector) Observe(e lfi.Exchange) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.ex = append(i.ex, e)
	if over := len(i.ex) - i.cfg.Keep; over > 0 {
		i.ex = append([]lfi.Exchange(nil), i.ex[over:]...)
	}
}

func (i *Inspector) snapshot() []lfi.Exchange {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]lfi.Exchange(nil), i.ex...)
}

// The delegated-SCA sequence, top to bottom; local steps have no HTTP message.
var sequence = []struct {
	name  string
	ops   []string // lfi Exchange.Op values; nil = a step inside payterm or the browser
	local bool
}{
	{name: "Discovery + JWKS", ops: []string{"discovery", "JWKS"}},
	{name: "PAR (consent request, PII sealed to the bank)", ops: []string{"PAR"}},
	{name: "Authorise at the bank (browser)", local: true},
	{name: "Callback + token", ops: []string{"token authorization_code"}},
	{name: "SCA in payterm (PIN + code + device key)", local: true},
	{name: "POST /payments", ops: []string{"create payment", "find payment by idempotency key"}},
	{name: "GET /payments/{id} until final", ops: []string{"get payment"}},
}

func stepOf(op string) int {
	for s, st := range sequence {
		for _, o := range st.ops {
			if o == op {
				return s
			}
		}
	}
	return -1
}

// Inspect implements ui.InspectorService.
func (i *Inspector) Inspect(ctx context.Context) (ui.Inspection, error) {
	all := i.snapshot()
	in := ui.Inspection{ShowPII: i.cfg.ShowPII}
	if i.cfg.ConsentID != nil {
		in.ConsentID = i.cfg.ConsentID(ctx)
	}
	latest := make([]*lfi.Exchange, len(sequence))
	current := -1
	for k := range all {
		if s := stepOf(all[k].Op); s >= 0 {
			latest[s] = &all[k]
			current = s // the step of the most recent exchange is the lit one
		}
	}
	for s, st := range sequence {
		step := ui.SequenceStep{Name: st.name, State: ui.SeqPending}
		switch {
		case s == current:
			step.State = ui.SeqCurrent
		case s < current:
			step.State = ui.SeqDone
		}
		if e := latest[s]; e != nil {
			x := i.convert(*e)
			step.Exchange = &x
			if e.Err != "" || e.Status >= 400 || (e.Verification != nil && !e.Verification.OK) {
				step.State = ui.SeqFailed
			}
		}
		in.Steps = append(in.Steps, step)
	}
	if current >= 0 && i.cfg.Verdicts != nil && latest[current].InteractionID != "" {
		in.Verdicts = i.cfg.Verdicts(latest[current].InteractionID)
	}
	return in, nil
}

// convert maps one exchange; PII is masked unless ShowPII (the UI masks marked fields too).
func (i *Inspector) convert(e lfi.Exchange) ui.Exchange {
	if !i.cfg.ShowPII {
		e = e.WithoutPII()
	}
	x := ui.Exchange{Request: e.Method + " " + pathOnly(e.URL), InteractionID: e.InteractionID}
	switch {
	case e.Status > 0:
		x.Response = fmt.Sprintf("HTTP %d (%s, attempt %d)", e.Status, e.Duration.Round(time.Millisecond), e.Attempt)
	case e.Err != "":
		x.Response = "no response: " + e.Err
	}
	pii := map[string]bool{}
	for _, h := range e.PIIHeaders {
		pii[h] = true
	}
	names := make([]string, 0, len(e.RequestHeaders))
	for k := range e.RequestHeaders {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		x.Headers = append(x.Headers, ui.Field{Name: k, Value: strings.Join(e.RequestHeaders[k], ", "), PII: pii[k],
			Secret: strings.EqualFold(k, "Authorization")})
	}
	forms := make([]string, 0, len(e.Form))
	for k := range e.Form {
		forms = append(forms, k)
	}
	sort.Strings(forms)
	for _, k := range forms {
		x.Headers = append(x.Headers, ui.Field{Name: "form " + k, Value: strings.Join(e.Form[k], ", ")})
	}
	for _, p := range e.Sent {
		if p.Claims == nil {
			if x.JWEHeader == nil {
				x.JWEHeader = flatten("", p.Header, nil)
			}
			continue
		}
		if x.JWTClaims == nil {
			x.JWTHeader = flatten("", p.Header, nil)
			x.JWTClaims = flatten("", p.Claims, p.PIIPaths)
		}
	}
	if v := e.Verification; v != nil {
		for _, c := range v.Verified {
			x.Checks = append(x.Checks, ui.Check{Name: c, OK: true})
		}
		if !v.OK {
			x.Checks = append(x.Checks, ui.Check{Name: "response signature", OK: false, Detail: v.Error})
		} else {
			x.Checks = append(x.Checks, ui.Check{Name: "response signature", OK: true, Detail: v.Alg + ", kid " + v.KeyID})
		}
	}
	if e.Err != "" && e.Status > 0 {
		x.Checks = append(x.Checks, ui.Check{Name: "outcome", OK: false, Detail: e.Err})
	}
	return x
}

// pathOnly drops the query (a request_uri or PaymentId filter adds nothing to the diagram).
func pathOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Path
}

// maxFields bounds one flattened object on screen.
const maxFields = 80

// flatten turns nested claims into dotted fields, marking those under a PII path.
func flatten(prefix string, m map[string]any, piiPaths []string) []ui.Field {
	var out []ui.Field
	var walk func(p string, v any)
	walk = func(p string, v any) {
		if len(out) >= maxFields {
			return
		}
		switch t := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(join(p, k), t[k])
			}
		case []any:
			for n, c := range t {
				walk(fmt.Sprintf("%s[%d]", p, n), c)
			}
		default:
			b, err := json.Marshal(t)
			val := string(b)
			if err != nil {
				val = "?"
			}
			out = append(out, ui.Field{Name: p, Value: val, PII: underPII(p, piiPaths)})
		}
	}
	walk(prefix, m)
	return out
}

func join(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

func underPII(path string, piiPaths []string) bool {
	clean := stripIndexes(path)
	for _, p := range piiPaths {
		p = stripIndexes(p)
		if clean == p || strings.HasPrefix(clean, p+".") {
			return true
		}
	}
	return false
}

// stripIndexes turns "a.b[2].c" into "a.b.c" so array elements match their path.
func stripIndexes(p string) string {
	var b strings.Builder
	depth := 0
	for _, r := range p {
		switch {
		case r == '[':
			depth++
		case r == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// bundle is the support bundle: ids and redacted, PII-free messages only.
type bundle struct {
	Generated      time.Time      `json:"generated"`
	ConsentID      string         `json:"consent_id,omitempty"`
	InteractionIDs []string       `json:"interaction_ids"`
	Exchanges      []bundleRecord `json:"exchanges"`
}

type bundleRecord struct {
	Op            string            `json:"op"`
	Attempt       int               `json:"attempt"`
	Method        string            `json:"method"`
	Path          string            `json:"path"`
	Status        int               `json:"status"`
	InteractionID string            `json:"interaction_id,omitempty"`
	Started       time.Time         `json:"started"`
	DurationMS    int64             `json:"duration_ms"`
	Error         string            `json:"error,omitempty"`
	Verification  *lfi.Verification `json:"verification,omitempty"`
}

// ExportSupportBundle implements ui.InspectorService. The bundle never carries PII or
// secrets: only operations, statuses, timings, interaction ids and verification results.
func (i *Inspector) ExportSupportBundle(ctx context.Context) (string, error) {
	if i.cfg.BundleDir == "" {
		return "", &ui.Problem{What: "No folder is configured for support bundles."}
	}
	now := i.cfg.Clock()
	b := bundle{Generated: now.UTC()}
	if i.cfg.ConsentID != nil {
		b.ConsentID = i.cfg.ConsentID(ctx)
	}
	seen := map[string]bool{}
	for _, e := range i.snapshot() {
		e = e.WithoutPII()
		b.Exchanges = append(b.Exchanges, bundleRecord{Op: e.Op, Attempt: e.Attempt, Method: e.Method, Path: pathOnly(e.URL),
			Status: e.Status, InteractionID: e.InteractionID, Started: e.Started.UTC(), DurationMS: e.Duration.Milliseconds(),
			Error: e.Err, Verification: e.Verification})
		if e.InteractionID != "" && !seen[e.InteractionID] {
			seen[e.InteractionID] = true
			b.InteractionIDs = append(b.InteractionIDs, e.InteractionID)
		}
	}
	raw, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode support bundle: %w", err)
	}
	path := filepath.Join(i.cfg.BundleDir, "payterm-support-"+now.UTC().Format("20060102T150405Z")+".json")
	if err := keystore.WriteFileAtomic(path, raw); err != nil {
		return "", fmt.Errorf("write support bundle: %w", err)
	}
	return path, nil
}
