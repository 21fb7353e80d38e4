package app

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/payterm/payterm/lfi"
	"github.com/payterm/payterm/ui"
)

// TestReceiptQuotesThePOSTsInteractionID: the id to quote to the bank is the one of the POST
// that created the payment, not of the last status poll.
func TestReceiptQuotesThePOSTsInteractionID(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees())
	payees, err := w.Payees(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "12.00", clock.nextCode(t, js.totpSecret)))
	if last.Receipt == nil || last.Err != nil {
		t.Fatalf("payment: %+v", last)
	}
	id, _ := parseID(last.Receipt.ID)
	atts, err := a.ledger.Attempts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var post, lastGet string
	for _, at := range atts {
		switch {
		case at.Kind == "send" && at.Outcome == "ok":
			post = at.InteractionID
		case at.Kind == "get":
			lastGet = at.InteractionID
		}
	}
	if post == "" || lastGet == "" || post == lastGet {
		t.Fatalf("the journey needs a created POST and a later poll: post %q, last poll %q", post, lastGet)
	}
	if last.Receipt.InteractionID != post {
		t.Errorf("receipt quotes %q, want the POST's %q (the last poll's is %q)", last.Receipt.InteractionID, post, lastGet)
	}
	// The sandbox knows that id as the POST /payments that created it.
	if v, ok := a.Sandbox().VerdictFor(last.Receipt.InteractionID); !ok || v.Method != "POST" || !strings.HasSuffix(v.Path, "/payments") {
		t.Errorf("the bank does not know the quoted id as the POST: %+v %v", v, ok)
	}
	d, err := w.Payment(ctx, last.Receipt.ID)
	if err != nil || d.InteractionID != post {
		t.Errorf("history detail quotes %q, want %q (%v)", d.InteractionID, post, err)
	}
}

// TestBankWordsReachReceiptInspectorAndBundle: the bank's Errors[].Message is shown (cleaned)
// on the receipt of a refused payment, in the inspector and in the support bundle.
func TestBankWordsReachReceiptInspectorAndBundle(t *testing.T) {
	ctx := context.Background()
	clock := newSCAClock()
	a := openApp(t, testConfig(t), clock)
	defer a.Close()
	w := a.UIWallet()
	c, js := onboard(t, w, clock, twoPayees())
	payees, err := w.Payees(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The bank suspends the consent; the wallet still holds an access token, so the POST goes
	// and the bank refuses it with a signed Consent.Invalid and its reason.
	if err := a.Sandbox().SuspendConsent(c.ID); err != nil {
		t.Fatal(err)
	}
	last := finalEvent(t, pay(t, w, c.ID, payees[0].ID, "5.00", clock.nextCode(t, js.totpSecret)))
	const words = "consent is Suspended, not Authorized"
	if last.Receipt == nil || last.Receipt.Status != ui.PaymentRefused || !strings.Contains(last.Receipt.Reason, words) {
		t.Fatalf("the receipt does not give the bank's reason: %+v", last.Receipt)
	}
	if last.Err != nil && strings.Contains(last.Err.Error(), words) {
		t.Errorf("the bank's free text reached an error value: %v", last.Err)
	}

	in, err := w.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var shown bool
	for _, st := range in.Steps {
		if st.Name != "POST /payments" || st.Exchange == nil {
			continue
		}
		for _, ch := range st.Exchange.Checks {
			shown = shown || (ch.Name == "bank says Consent.Invalid" && strings.Contains(ch.Detail, words) && strings.Contains(ch.Detail, "at Data.ConsentId"))
		}
	}
	if !shown {
		t.Errorf("the inspector does not show the bank's words: %+v", in.Steps)
	}

	// A hostile message in the trace: cleaned and its account number masked in the bundle.
	a.trace.observer("sandbox")(lfi.Exchange{Op: "create payment", Status: 400, BankErrors: []lfi.ErrorItem{
		{Code: "GenericError", Message: "\u202eevil \x1b]0;title\x07 for AE070331234567890123456"}}})
	path, err := w.ExportSupportBundle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Trace []struct {
			Op         string
			BankErrors []lfi.ErrorItem
		} `json:"trace"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	var refused, hostile bool
	for _, ex := range b.Trace {
		for _, be := range ex.BankErrors {
			refused = refused || (be.Code == "Consent.Invalid" && strings.Contains(be.Message, words))
			if be.Code == "GenericError" {
				hostile = true
				if strings.ContainsAny(be.Message, "\u202e\x1b\x07") || strings.Contains(be.Message, "0331") || !strings.Contains(be.Message, "[IBAN]") {
					t.Errorf("bundle message not made safe: %q", be.Message)
				}
			}
		}
	}
	if !refused || !hostile {
		t.Errorf("the bundle lacks the bank's words (refusal %v, hostile %v)", refused, hostile)
	}
}

// TestErrorScreenShowsOneLineOfTheBanksWords: uiError puts the bank's description, cleaned and
// cut to one line, under the sentence; the sentence itself never carries it.
func TestErrorScreenShowsOneLineOfTheBanksWords(t *testing.T) {
	for _, err := range []error{
		&lfi.OAuthError{Op: "PAR", HTTPStatus: 400, Code: "invalid_request",
			Description: "request object exp\x1b[2J is more than\n10 minutes after nbf " + strings.Repeat("x", 400)},
		&lfi.BankError{Op: "create payment", HTTPStatus: 400, InteractionID: "iid-1",
			Errors: []lfi.ErrorItem{{Code: "Body.InvalidFormat", Message: "request object exp\x1b[2J is more than\n10 minutes after nbf", Path: "Data.X"}}},
	} {
		var p *ui.Problem
		if !errors.As(uiError("Paying", err), &p) {
			t.Fatalf("%T: not a Problem", err)
		}
		if !strings.HasPrefix(p.Detail, "request object exp\uFFFD[2J is more than 10 minutes after nbf") || len([]rune(p.Detail)) > 160 {
			t.Errorf("%T: detail = %q", err, p.Detail)
		}
		if strings.Contains(p.What+p.Next, "10 minutes") {
			t.Errorf("%T: the bank's words are in the sentence: %q", err, p.What+" "+p.Next)
		}
	}
}
