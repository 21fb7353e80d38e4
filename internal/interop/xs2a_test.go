package interop

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	bank "github.com/payterm/payterm/sandbox/xs2a"
	"github.com/payterm/payterm/xs2a"
)

func sepa(minor int64) xs2a.Payment {
	return xs2a.Payment{Product: "sepa-credit-transfers", Amount: xs2a.Amount{Minor: minor, Currency: "EUR"},
		Debtor: xs2a.Account{IBAN: "DE40 1001 0010 3307 1186 08"}, Creditor: xs2a.Account{IBAN: "DE02100100109307118603"},
		CreditorName: "Merchant123", Remittance: "Ref Number Merchant"}
}

// TestInteropBGRedirect: the generic bank's default approach. The 201 carries scaRedirect
// (loopback http, or https with BrowserTLS); the PSU approves at the bank's page; the client
// reads scaStatus finalised and polls the status on the bank's clock until Final (ACSC), and
// the bank later reports ACCC. A denied payment goes back to TPP-Nok-Redirect-URI and RJCT.
func TestInteropBGRedirect(t *testing.T) {
	for _, browserTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "pages on loopback http", true: "pages on https"}[browserTLS], func(t *testing.T) {
			e := start(t, bank.ProfileBG(), xs2a.Generic(), func(c *bank.Config) { c.BrowserTLS = browserTLS })
			in := e.send(e.cl.BuildInitiate(sepa(123_50), e.call())).Initiation
			if in.Status != xs2a.TxReceived || in.Approach != xs2a.Redirect || !strings.HasPrefix(in.Location, e.bank.APIURL()+"/v1/payments/sepa-credit-transfers/") {
				t.Fatalf("initiation %+v", in)
			}
			page := link(t, in.Links, "scaRedirect")
			if wantScheme := map[bool]string{false: "http://", true: "https://"}[browserTLS]; !strings.HasPrefix(page.Href, wantScheme+"127.0.0.1:") {
				t.Fatalf("scaRedirect %s", page.Href)
			}
			sca := link(t, in.Links, "scaStatus")
			if a := e.send(e.cl.BuildGetSCAStatus(sca, e.call())).Authorisation; a.SCAStatus != xs2a.SCAReceived {
				t.Fatalf("before the page: %s", a.SCAStatus)
			}
			if back := e.decide(page.Href, true, nil); back.String() != okRedirect {
				t.Fatalf("the bank sent the PSU back to %s", back)
			}
			if a := e.send(e.cl.BuildGetSCAStatus(sca, e.call())).Authorisation; a.SCAStatus != xs2a.SCAFinalised || !a.SCAStatus.Final() {
				t.Fatalf("after approval: %s", a.SCAStatus)
			}
			// Settlement on the bank's clock: ProcessAfter 1 s, SettleAfter 2 s; polling stops at ACSC.
			seen := e.settle(link(t, in.Links, "status"), e.call())
			if got := statuses(seen...); got != "[ACTC ACSP ACSP ACSC]" {
				t.Fatalf("statuses %s", got)
			}
			// The bank credits 2 s later; the client reads it as Settled (no more polling needed).
			e.clk.Add(2 * time.Second)
			pay := e.send(e.cl.BuildGetPayment(link(t, in.Links, "self"), e.call())).Payment
			if pay.Status != xs2a.TxSettledCreditor || pay.Status.Normalised() != xs2a.Settled || pay.Amount != "123.50" || pay.Currency != "EUR" {
				t.Fatalf("payment %+v", pay)
			}
			if bal := e.bank.Balance("EUR"); bal != 25_000_00-123_50 {
				t.Fatalf("the bank debited %d", 25_000_00-bal)
			}
			// Denied at the page: back to the Nok URI, failed, RJCT.
			in2 := e.send(e.cl.BuildInitiate(sepa(10_00), e.call())).Initiation
			if back := e.decide(link(t, in2.Links, "scaRedirect").Href, false, nil); back.String() != nokRedirect {
				t.Fatalf("deny went to %s", back)
			}
			if a := e.send(e.cl.BuildGetSCAStatus(link(t, in2.Links, "scaStatus"), e.call())).Authorisation; a.SCAStatus != xs2a.SCAFailed {
				t.Fatalf("denied: %s", a.SCAStatus)
			}
			if s := e.settle(link(t, in2.Links, "status"), e.call()); statuses(s...) != "[RJCT]" || s[0].Normalised() != xs2a.Rejected {
				t.Fatalf("denied payment %v", s)
			}
			e.verdictsPass(nil)
			e.expectValidated(11)
		})
	}
}

// TestInteropBGDecoupled: TPP-Decoupled-Preferred; the client starts the authorisation,
// identifies the PSU (PUT {} with PSU-ID), and the bank's app (the admin API here) approves.
func TestInteropBGDecoupled(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), func(c *bank.Config) { c.DecoupledManual = true })
	yes := true
	call := e.call()
	call.PreferDecoupled = &yes
	in := e.send(e.cl.BuildInitiate(sepa(50_00), call)).Initiation
	if in.Approach != xs2a.Decoupled || in.PSUMessage == "" {
		t.Fatalf("initiation %+v", in)
	}
	start := e.send(e.cl.BuildStartAuthorisation(link(t, in.Links, "startAuthorisationWithPsuIdentification"), xs2a.StartAuth{}, e.call())).Authorisation
	if start.SCAStatus != xs2a.SCAReceived || start.AuthorisationID == "" {
		t.Fatalf("start %+v", start)
	}
	withID := e.call()
	withID.PSU.ID = "PSU-1234"
	upd := e.send(e.cl.BuildUpdatePSUData(link(t, start.Links, "updatePsuIdentification"), xs2a.Update{Identification: true}, withID)).Authorisation
	if upd.SCAStatus != xs2a.SCAPSUIdentified || upd.PSUMessage == "" {
		t.Fatalf("identification %+v", upd)
	}
	sca := link(t, upd.Links, "scaStatus")
	e.clk.Add(30 * time.Second) // the PSU takes their time: nothing moves without the app
	if a := e.send(e.cl.BuildGetSCAStatus(sca, e.call())).Authorisation; a.SCAStatus != xs2a.SCAPSUIdentified || a.SCAStatus.Final() {
		t.Fatalf("before the app: %s", a.SCAStatus)
	}
	if status, body := e.admin(http.MethodPost, "/admin/authorisations/"+url.PathEscape(start.AuthorisationID)+"/approve"); status != 200 {
		t.Fatalf("admin approve: %d %s", status, body)
	}
	if a := e.send(e.cl.BuildGetSCAStatus(sca, e.call())).Authorisation; a.SCAStatus != xs2a.SCAFinalised {
		t.Fatalf("after the app: %s", a.SCAStatus)
	}
	if s := statuses(e.settle(link(t, in.Links, "status"), e.call())...); s != "[ACTC ACSP ACSP ACSC]" {
		t.Fatalf("statuses %s", s)
	}
	e.verdictsPass(nil)
	e.expectValidated(9)
}

// TestInteropBGEmbedded: TPP-Redirect-Preferred false with a PSU-ID: the password, the
// method, the TAN; then a second payment where the fifth wrong TAN fails the authorisation
// and the payment is rejected.
func TestInteropBGEmbedded(t *testing.T) {
	const password = "interop-pw-7731"
	e := start(t, bank.ProfileBG(), xs2a.Generic(), func(c *bank.Config) { c.EmbeddedPassword = password })
	no := false
	call := e.call()
	call.PSU.ID = "PSU-1234"
	call.PreferRedirect = &no
	authorise := func(minor int64) (*xs2a.Initiation, xs2a.Link) {
		t.Helper()
		in := e.send(e.cl.BuildInitiate(sepa(minor), call)).Initiation
		if in.Approach != xs2a.Embedded {
			t.Fatalf("initiation %+v", in)
		}
		a := e.send(e.cl.BuildStartAuthorisation(link(t, in.Links, "startAuthorisationWithPsuAuthentication"), xs2a.StartAuth{Password: password}, call)).Authorisation
		if a.SCAStatus != xs2a.SCAPSUAuthenticated || len(a.Methods) != 2 || a.Methods[0].ID != "SMS_OTP" {
			t.Fatalf("password %+v", a)
		}
		a = e.send(e.cl.BuildUpdatePSUData(link(t, a.Links, "selectAuthenticationMethod"), xs2a.Update{AuthenticationMethod: a.Methods[0].ID}, call)).Authorisation
		if a.SCAStatus != xs2a.SCAMethodSelected || a.Challenge == nil || a.Challenge.OTPMaxLength != 6 || a.ChosenMethod == nil {
			t.Fatalf("method %+v", a)
		}
		return in, link(t, a.Links, "authoriseTransaction")
	}
	in, tan := authorise(75_00)
	if a := e.send(e.cl.BuildUpdatePSUData(tan, xs2a.Update{TAN: "123456"}, call)).Authorisation; a.SCAStatus != xs2a.SCAFinalised {
		t.Fatalf("TAN: %s", a.SCAStatus)
	}
	if s := statuses(e.settle(link(t, in.Links, "status"), call)...); s != "[ACTC ACSP ACSP ACSC]" {
		t.Fatalf("statuses %s", s)
	}
	e.verdictsPass(nil)

	in2, tan2 := authorise(76_00)
	expected := map[string]int{}
	for i := 1; i <= 5; i++ {
		req, err := e.sendErr(e.cl.BuildUpdatePSUData(tan2, xs2a.Update{TAN: "000000"}, call))
		var be *xs2a.BankError
		if !errors.As(err, &be) || be.HTTPStatus != 401 || be.Code() != "PSU_CREDENTIALS_INVALID" || errors.Is(err, xs2a.ErrOutcomeUnknown) || req.Reconcile != xs2a.ReconcileReadState {
			t.Fatalf("wrong TAN %d: %v", i, err)
		}
		if strings.Contains(err.Error(), "000000") {
			t.Fatal("the TAN reached an error string")
		}
		expected[req.RequestID] = bank.RuleCredentials
		want := xs2a.SCAMethodSelected
		if i == 5 {
			want = xs2a.SCAFailed
		}
		if a := e.send(e.cl.BuildGetSCAStatus(tan2, call)).Authorisation; a.SCAStatus != want {
			t.Fatalf("after wrong TAN %d: %s, want %s", i, a.SCAStatus, want)
		}
	}
	if s := e.settle(link(t, in2.Links, "status"), call); statuses(s...) != "[RJCT]" {
		t.Fatalf("after 5 wrong TANs: %v", s)
	}
	e.verdictsPass(expected)
	e.expectValidated(20)
	// No password or TAN reached the inspector: the two passwords, two right TANs and five
	// wrong ones went as redacted bodies, and the password appears nowhere.
	redactedBodies := 0
	for _, x := range e.exs {
		if x.RequestBody == "[REDACTED]" {
			redactedBodies++
		}
		if s := strings.Join([]string{x.Err, x.URL, asText(x.RequestBody), asText(x.ResponseBody), x.Protection.SigningString}, " "); strings.Contains(s, password) {
			t.Errorf("%s: the password reached the inspector: %s", x.Op, s)
		}
	}
	if redactedBodies != 2+1+5 {
		t.Errorf("%d redacted request bodies, want 8 (2 passwords, 1 TAN, 5 wrong TANs)", redactedBodies)
	}
}

func asText(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestInteropSpareBank1: the PSU session first (GET /v1/users → 401 + scaRedirect → the
// bank's login page → psu-id and tpp-session-id back), then a domestic NOK payment between
// kontonummer and a cross-border EUR payment by IBAN, each with an explicit start of the
// authorisation and the redirect page; then the same payment again is refused as a logical
// duplicate (allowLogicalDuplicate=false).
func TestInteropSpareBank1(t *testing.T) {
	e := start(t, bank.ProfileSB1(), xs2a.SpareBank1())
	expected := map[string]int{}
	sreq, err := e.cl.BuildEstablishSession(e.call())
	if err != nil {
		t.Fatal(err)
	}
	login := e.send(sreq, nil).SessionRedirect
	expected[sreq.RequestID] = bank.RulePSUSession // the 401 that carries the login link
	if login == nil || !strings.HasPrefix(login.Href, e.bank.BrowserURL()+"/session/") {
		t.Fatalf("session redirect %+v", login)
	}
	back := e.decide(login.Href, true, url.Values{"psu": {"01017012345"}})
	sess, err := xs2a.ParseSessionCallback(back.Query())
	if err != nil || sess.PSUID != "01017012345" {
		t.Fatalf("session callback %s: %v", back, err)
	}
	call := e.call()
	call.PSU.Session = &sess

	pay := func(p xs2a.Payment) {
		t.Helper()
		in := e.send(e.cl.BuildInitiate(p, call)).Initiation
		start := link(t, in.Links, "startAuthorisation")
		if !strings.HasPrefix(start.Href, e.bank.APIURL()+"/v1/payments/"+p.Product+"/") {
			t.Fatalf("startAuthorisation %s", start.Href)
		}
		a := e.send(e.cl.BuildStartAuthorisation(start, xs2a.StartAuth{}, call)).Authorisation
		if a.SCAStatus != xs2a.SCAStarted {
			t.Fatalf("start %+v", a)
		}
		if back := e.decide(link(t, a.Links, "scaRedirect").Href, true, nil); back.String() != okRedirect {
			t.Fatalf("back to %s", back)
		}
		if got := e.send(e.cl.BuildGetSCAStatus(link(t, a.Links, "scaStatus"), call)).Authorisation; got.SCAStatus != xs2a.SCAFinalised {
			t.Fatalf("scaStatus %s", got.SCAStatus)
		}
		if s := statuses(e.settle(link(t, in.Links, "status"), call)...); s != "[ACTC ACSP ACSP ACSC]" {
			t.Fatalf("%s: statuses %s", p.Product, s)
		}
	}
	domestic := xs2a.Payment{Product: "norwegian-domestic-credit-transfers", Amount: xs2a.Amount{Minor: 250_00, Currency: "NOK"},
		Debtor: xs2a.Account{BBAN: "8601 11 17947"}, Creditor: xs2a.Account{BBAN: "1234 56 78903"}, CreditorName: "Kiosk AS", Remittance: "Faktura 42"}
	pay(domestic)
	pay(xs2a.Payment{Product: "cross-border-credit-transfers", Amount: xs2a.Amount{Minor: 99_00, Currency: "EUR"},
		Debtor: xs2a.Account{IBAN: "NO93 8601 1117 947"}, Creditor: xs2a.Account{IBAN: "DE02100100109307118603"}, CreditorName: "Merchant123"})

	// The same payment again within 24 h: refused, nothing created.
	before := e.bank.PaymentCount()
	req, err := e.sendErr(e.cl.BuildInitiate(domestic, call))
	var be *xs2a.BankError
	if !errors.As(err, &be) || be.HTTPStatus != 400 || be.Code() != "PAYMENT_FAILED" || be.System != "ERA-PSD2" || be.BankID == "" || errors.Is(err, xs2a.ErrOutcomeUnknown) {
		t.Fatalf("duplicate: %v %+v", err, be)
	}
	if e.bank.PaymentCount() != before || !strings.HasSuffix(req.URL, "?allowLogicalDuplicate=false") {
		t.Fatalf("a duplicate was created (%d → %d) or the query is missing: %s", before, e.bank.PaymentCount(), req.URL)
	}
	expected[req.RequestID] = bank.RuleLogicalDuplicate
	e.verdictsPass(expected)
	e.expectValidated(13, "/v1/users")
}

// TestInteropBOGOAuth: Bank of Georgia's only approach. The 201 carries scaOAuth (the RFC 8414
// metadata); the client fetches it, sends the PSU to the authorization endpoint (PKCE S256,
// state, scope PIS:<paymentId>), reads the code from the redirect back, swaps it over mTLS,
// and uses the Bearer token on the payment's authorisation and status calls. A denial comes
// back as access_denied and the payment is rejected.
func TestInteropBOGOAuth(t *testing.T) {
	for _, browserTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "pages on loopback http", true: "pages on https"}[browserTLS], func(t *testing.T) {
			e := start(t, bank.ProfileBOG(), xs2a.BankOfGeorgia(), func(c *bank.Config) { c.BrowserTLS = browserTLS })
			gel := xs2a.Payment{Product: "domestic", Amount: xs2a.Amount{Minor: 123_50, Currency: "GEL"}, Debtor: xs2a.Account{IBAN: "GE29NB0000000101904917"},
				Creditor: xs2a.Account{IBAN: "GE60NB0000000123456789"}, CreditorName: "Merchant123", Remittance: "Ref Number Merchant"}
			oauth := func(in *xs2a.Initiation, approve bool) (*xs2a.OAuthAuthorization, url.Values) {
				t.Helper()
				md := e.send(e.cl.BuildOAuthMetadata(link(t, in.Links, "scaOAuth"))).OAuthMetadata
				if md.Issuer != e.bank.APIURL() || !strings.HasPrefix(md.AuthorizationEndpoint, e.bank.BrowserURL()+"/") || !strings.HasPrefix(md.TokenEndpoint, e.bank.APIURL()+"/") {
					t.Fatalf("metadata %+v", md)
				}
				az, err := e.cl.StartOAuth(md, in.PaymentID, "")
				if err != nil {
					t.Fatal(err)
				}
				return az, e.decide(az.AuthorizeURL, approve, nil).Query()
			}

			in := e.send(e.cl.BuildInitiate(gel, e.call())).Initiation
			if in.Approach != xs2a.Redirect || !strings.HasPrefix(in.Location, e.bank.APIURL()+"/psd2/v1/payments/domestic/") {
				t.Fatalf("initiation %+v", in)
			}
			az, back := oauth(in, true)
			code, err := xs2a.ParseOAuthCallback(back, az)
			if err != nil {
				t.Fatal(err)
			}
			// Before the swap the authorisation is not finalised: the bank finalises on the token.
			sca := link(t, in.Links, "scaStatus")
			if a := e.send(e.cl.BuildGetSCAStatus(sca, e.call())).Authorisation; a.SCAStatus != xs2a.SCAStarted {
				t.Fatalf("before the token: %s", a.SCAStatus)
			}
			tok := e.send(e.cl.BuildTokenRequest(az, code)).Token
			if tok.Scope != "PIS:"+in.PaymentID || tok.ExpiresIn != 300*time.Second {
				t.Fatalf("token %+v", tok)
			}
			// The code was single-use.
			again, err := e.sendErr(e.cl.BuildTokenRequest(az, code))
			if !isOAuthErr(err, "invalid_grant") {
				t.Fatalf("second swap: %v", err)
			}
			withToken := e.call()
			withToken.PSU.Token = tok.AccessToken
			req, err := e.cl.BuildGetSCAStatus(sca, withToken)
			if err != nil || req.Header.Get("Authorization") != "Bearer "+tok.AccessToken.Reveal() {
				t.Fatalf("the status call carries no bearer token: %v", err)
			}
			if a := e.send(req, nil).Authorisation; a.SCAStatus != xs2a.SCAFinalised {
				t.Fatalf("after the token: %s", a.SCAStatus)
			}
			if s := statuses(e.settle(link(t, in.Links, "status"), withToken)...); s != "[ACTC ACSP ACSP ACSC]" {
				t.Fatalf("statuses %s (BOG stops at ACSC)", s)
			}
			for _, x := range e.exs {
				if strings.Contains(asText(x.ResponseBody)+x.Err+asText(x.RequestBody)+x.RequestHeaders.Get("Authorization"), tok.AccessToken.Reveal()) {
					t.Errorf("%s: the access token reached the inspector", x.Op)
				}
			}

			// Denied at the bank.
			in2 := e.send(e.cl.BuildInitiate(gel, e.call())).Initiation
			az2, back2 := oauth(in2, false)
			var denied *xs2a.OAuthDeniedError
			if _, err := xs2a.ParseOAuthCallback(back2, az2); !errors.As(err, &denied) || denied.Code != "access_denied" {
				t.Fatalf("denial: %v", err)
			}
			// Another flow's redirect is not this one's.
			if _, err := xs2a.ParseOAuthCallback(back, az2); !errors.Is(err, xs2a.ErrOAuthState) {
				t.Fatalf("a foreign redirect: %v", err)
			}
			if s := statuses(e.settle(link(t, in2.Links, "status"), e.call())...); s != "[RJCT]" {
				t.Fatalf("denied payment %s", s)
			}
			e.verdictsPass(map[string]int{again.RequestID: bank.RuleOAuthToken})
			e.expectValidated(8, "/.well-known/oauth-authorization-server", "/oauth/token")
		})
	}
}

func isOAuthErr(err error, code string) bool {
	var oe *xs2a.OAuthError
	return errors.As(err, &oe) && oe.Code == code && oe.HTTPStatus == 400
}

// TestInteropCancellation: DELETE of a payment not yet authorised cancels it at once (204);
// of an authorised one, not yet executed, it needs a cancellation authorisation (202), which
// the PSU approves at the bank's page.
func TestInteropCancellation(t *testing.T) {
	e := start(t, bank.ProfileBG(), xs2a.Generic(), func(c *bank.Config) { c.ProcessAfter = time.Minute })
	in := e.send(e.cl.BuildInitiate(sepa(20_00), e.call())).Initiation
	c := e.send(e.cl.BuildCancel(link(t, in.Links, "self"), e.call()))
	if c.HTTPStatus != 204 || !c.Cancellation.Cancelled {
		t.Fatalf("DELETE of an unauthorised payment: %+v", c)
	}
	if s := e.settle(link(t, in.Links, "status"), e.call()); statuses(s...) != "[CANC]" || s[0].Normalised() != xs2a.Cancelled {
		t.Fatalf("after 204: %v", s)
	}

	in2 := e.send(e.cl.BuildInitiate(sepa(21_00), e.call())).Initiation
	e.decide(link(t, in2.Links, "scaRedirect").Href, true, nil)
	c = e.send(e.cl.BuildCancel(link(t, in2.Links, "self"), e.call()))
	if c.HTTPStatus != 202 || c.Cancellation.Cancelled || c.Cancellation.Status != xs2a.TxAcceptedTechnical {
		t.Fatalf("DELETE of an authorised payment: %+v", c.Cancellation)
	}
	creq, err := e.cl.BuildStartAuthorisation(link(t, c.Cancellation.Links, "startAuthorisation"), xs2a.StartAuth{}, e.call())
	if err != nil || creq.Op != xs2a.OpStartCancellationSCA {
		t.Fatalf("cancellation authorisation: %v %+v", err, creq)
	}
	a := e.send(creq, nil).Authorisation
	if a.SCAStatus != xs2a.SCAReceived || !strings.Contains(link(t, a.Links, "scaStatus").Href, "/cancellation-authorisations/") {
		t.Fatalf("cancellation start %+v", a)
	}
	e.decide(link(t, a.Links, "scaRedirect").Href, true, nil)
	if got := e.send(e.cl.BuildGetSCAStatus(link(t, a.Links, "scaStatus"), e.call())).Authorisation; got.SCAStatus != xs2a.SCAFinalised {
		t.Fatalf("cancellation scaStatus %s", got.SCAStatus)
	}
	if s := statuses(e.settle(link(t, in2.Links, "status"), e.call())...); s != "[CANC]" {
		t.Fatalf("after the cancellation authorisation: %s", s)
	}
	if bal := e.bank.Balance("EUR"); bal != 25_000_00 {
		t.Fatalf("a cancelled payment was debited: %d", bal)
	}
	e.verdictsPass(nil)
	e.expectValidated(8)
}

// TestInteropFaults: a create whose answer is lost (the bank made the payment durable, then
// hung up) is ErrOutcomeUnknown with the profile's Reconcile hint, and following the hint
// does what it says; a 429 carries Retry-After and nothing was created.
func TestInteropFaults(t *testing.T) {
	t.Run("bg: dropped answer, ask the user", func(t *testing.T) {
		e := start(t, bank.ProfileBG(), xs2a.Generic())
		if err := e.bank.InjectFault(bank.Fault{Kind: bank.FaultDropAfterCommit, Count: 1}); err != nil {
			t.Fatal(err)
		}
		before := e.bank.PaymentCount()
		req, err := e.sendErr(e.cl.BuildInitiate(sepa(30_00), e.call()))
		var te *xs2a.TransportError
		if !errors.As(err, &te) || !errors.Is(err, xs2a.ErrOutcomeUnknown) || req.Reconcile != xs2a.ReconcileAskUser {
			t.Fatalf("dropped create: %v, reconcile %s", err, req.Reconcile)
		}
		if e.bank.PaymentCount() != before+1 {
			t.Fatalf("the bank holds %d new payments, want the 1 the client does not know of", e.bank.PaymentCount()-before)
		}
		e.verdictsPass(nil)
	})
	t.Run("sb1: dropped answer, the resent create is refused as a duplicate", func(t *testing.T) {
		e := start(t, bank.ProfileSB1(), xs2a.SpareBank1(), func(c *bank.Config) { c.AutoApprove = true })
		sreq, _ := e.cl.BuildEstablishSession(e.call())
		login := e.send(sreq, nil).SessionRedirect
		resp, err := e.browser.Get(login.Href)
		if err != nil || resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("auto login: %v", err)
		}
		resp.Body.Close()
		back, _ := url.Parse(resp.Header.Get("Location"))
		sess, err := xs2a.ParseSessionCallback(back.Query())
		if err != nil {
			t.Fatal(err)
		}
		call := e.call()
		call.PSU.Session = &sess
		p := xs2a.Payment{Product: "norwegian-domestic-credit-transfers", Amount: xs2a.Amount{Minor: 100_00, Currency: "NOK"},
			Debtor: xs2a.Account{BBAN: "86011117947"}, Creditor: xs2a.Account{BBAN: "12345678903"}, CreditorName: "Kiosk AS"}
		if err := e.bank.InjectFault(bank.Fault{Kind: bank.FaultDropAfterCommit, Count: 1}); err != nil {
			t.Fatal(err)
		}
		before := e.bank.PaymentCount()
		first, err := e.sendErr(e.cl.BuildInitiate(p, call))
		if !errors.Is(err, xs2a.ErrOutcomeUnknown) || first.Reconcile != xs2a.ReconcileResendRefused {
			t.Fatalf("dropped create: %v, reconcile %s", err, first.Reconcile)
		}
		expected := map[string]int{sreq.RequestID: bank.RulePSUSession}
		// The stored request itself cannot go again: its X-Request-ID is spent (and its Date
		// soon stale). The hint means the same create under a new X-Request-ID (BuildResend).
		_, err = e.sendErr(first, nil)
		var be *xs2a.BankError
		if !errors.As(err, &be) || be.Code() != "FORMAT_ERROR" {
			t.Fatalf("the stored bytes again: %v", err)
		}
		if v, _ := e.bank.VerdictFor(first.RequestID); v.FailedRule() != bank.RuleRequestIDReplay {
			t.Fatalf("the stored bytes again failed rule %d", v.FailedRule())
		}
		again, err := e.sendErr(e.cl.BuildResend(first, call))
		if string(again.Body) != string(first.Body) || again.URL != first.URL || again.RequestID == first.RequestID {
			t.Fatal("the resend is not the same create under a new X-Request-ID")
		}
		if !errors.As(err, &be) || be.Code() != "PAYMENT_FAILED" || e.bank.PaymentCount() != before+1 {
			t.Fatalf("rebuilt create: %v; payments %d → %d", err, before, e.bank.PaymentCount())
		}
		expected[again.RequestID] = bank.RuleLogicalDuplicate
		// Verdicts: the replayed X-Request-ID's latest verdict is the refusal (rule 3).
		expected[first.RequestID] = bank.RuleRequestIDReplay
		e.verdictsPass(expected)
	})
	t.Run("bg: 429 with Retry-After", func(t *testing.T) {
		e := start(t, bank.ProfileBG(), xs2a.Generic())
		if err := e.bank.InjectFault(bank.Fault{Kind: bank.FaultRateLimit, Count: 1, RetryAfter: 3}); err != nil {
			t.Fatal(err)
		}
		before := e.bank.PaymentCount()
		req, err := e.sendErr(e.cl.BuildInitiate(sepa(40_00), e.call()))
		var be *xs2a.BankError
		if !errors.As(err, &be) || be.HTTPStatus != 429 || be.RetryAfter != 3*time.Second || !errors.Is(err, xs2a.ErrRateLimited) || errors.Is(err, xs2a.ErrOutcomeUnknown) {
			t.Fatalf("429: %v", err)
		}
		if e.bank.PaymentCount() != before {
			t.Fatal("a rate-limited create made a payment")
		}
		e.clk.Add(be.RetryAfter)
		in := e.send(e.cl.BuildInitiate(sepa(40_00), e.call())).Initiation
		if in.Status != xs2a.TxReceived {
			t.Fatalf("after Retry-After: %+v", in)
		}
		e.verdictsPass(map[string]int{req.RequestID: 0})
		e.expectValidated(2)
	})
}
