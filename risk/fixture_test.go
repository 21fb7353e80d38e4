package risk

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"
)

// A fixed, fictitious input: no real person, device or key.
var (
	fixedNow = time.Date(2026, 11, 22, 1, 40, 0, 0, time.UTC)
	gulfTime = time.FixedZone("GST", 4*3600)
)

// fakeJWS has the compact-JWS shape; its parts are base64url of fixture
// text ({"alg":"ES256","kid":"fixture"}, {"fixture":true}, "fixture-signature").
const fakeJWS = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImZpeHR1cmUifQ.eyJmaXh0dXJlIjp0cnVlfQ.Zml4dHVyZS1zaWduYXR1cmU"

func fixedSCA() SCAFacts {
	return SCAFacts{
		ChallengeTime:       fixedNow.Add(-5 * time.Second),
		Outcome:             OutcomePass,
		AuthenticationValue: fakeJWS,
		Knowledge:           KnowledgePIN,
		Possession:          PossessionOTPApp,
	}
}

func fixedDevice() Device {
	return Device{
		Type:          DeviceDesktop,
		OS:            "Linux",
		OSVersion:     "Debian GNU/Linux 12 (bookworm)",
		Manufacturer:  "Example Computers",
		Model:         "Model 14 Gen 3",
		Language:      "en-AE",
		TimeZone:      gulfTime,
		BindingID:     "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
		BoundAt:       fixedNow.Add(-(30*24 + 2) * time.Hour),
		BindingStatus: BindingActive,
	}
}

func fixedApp() App {
	return App{Version: "v0.1.0", PackageName: "github.com/payterm/payterm", BuildNumber: "c9af103e1d2a"}
}

func fixedHistory() History {
	return History{
		OnboardedAt:           time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		AccountChangedAt:      time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC),
		PINChangedAt:          time.Date(2026, 7, 15, 9, 0, 0, 0, time.UTC),
		Suspicion:             SuspicionNone,
		SessionAttempts:       2,
		SessionFailedAttempts: 1,
		Last24hAttempts:       3,
		Last24hFailedAttempts: 1,
		TransactionsLastDay:   1,
		TransactionsLastYear:  42,
	}
}

func fixedPayee() Payee {
	return Payee{
		Kind:           AccountCorporate,
		PrePopulated:   true,
		ConfirmedByCoP: true,
		TradingNameEN:  "Example Trading",
		TradingNameAR:  "التجارة النموذجية",
	}
}

func fixedPayment() PaymentInput {
	return PaymentInput{
		Now:     fixedNow,
		Started: fixedNow.Add(-95 * time.Second),
		SCA:     fixedSCA(),
		Device:  fixedDevice(),
		App:     fixedApp(),
		History: fixedHistory(),
		Payee:   fixedPayee(),
	}
}

func fixedConsent() ConsentInput {
	sca := fixedSCA()
	payee := fixedPayee()
	h := fixedHistory()
	h.SessionAttempts, h.SessionFailedAttempts = 0, 0 // no payment yet this session
	return ConsentInput{Now: fixedNow, SCA: &sca, Device: fixedDevice(), App: fixedApp(), History: h, Payee: &payee}
}

func mustJSON(t testing.TB, r Risk) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// leaves lists every leaf of a JSON document as a slash path, sorted.
func leaves(t testing.TB, b []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				out = append(out, prefix+" {}")
			}
			for k, c := range x {
				walk(prefix+"/"+k, c)
			}
		case []any:
			out = append(out, prefix+" []")
		case string:
			if x == "" {
				out = append(out, prefix+` ""`)
			} else {
				out = append(out, prefix)
			}
		default:
			out = append(out, prefix)
		}
	}
	walk("", v)
	sort.Strings(out)
	return out
}

func hasLeaf(ls []string, path string) bool {
	for _, l := range ls {
		if l == path || strings.HasPrefix(l, path+"/") {
			return true
		}
	}
	return false
}
