package xs2a

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

var ctx = context.Background()

func sepaPayment() Payment {
	return Payment{
		Product: "sepa-credit-transfers", Amount: Amount{Minor: 1250, Currency: "EUR"},
		Debtor: Account{IBAN: "DE40 1001 0010 3307 1186 08"}, Creditor: Account{IBAN: "DE02100100109307118603"},
		CreditorName: "Merchant123", Remittance: "Ref 42 & <co>",
	}
}

var psu = PSU{IPAddress: "192.168.8.78", UserAgent: "payterm/1.0", DeviceID: "99435c7e-ad88-49ec-a2ad-99ddcb1f5555", GeoLocation: "GEO:52.506931;13.144558"}

const initiated = `{"transactionStatus":"RCVD","paymentId":"1234-wertiq-983","_links":{"scaRedirect":{"href":"https://login.bank.example/sca?id=1"},"self":{"href":"/psd2/v1/payments/sepa-credit-transfers/1234-wertiq-983"},"status":{"href":"/psd2/v1/payments/sepa-credit-transfers/1234-wertiq-983/status"},"scaStatus":{"href":"/psd2/v1/payments/sepa-credit-transfers/1234-wertiq-983/authorisations/123auth456"},"startAuthorisation":{"href":"/psd2/v1/payments/sepa-credit-transfers/1234-wertiq-983/authorisations"}},"psuMessage":"Please \u001b[31mconfirm\u202e"}`

const payPath = prefix + "/v1/payments/sepa-credit-transfers/1234-wertiq-983"

func initiate(t *testing.T, cl *Client, f *fakeBank) *Initiation {
	t.Helper()
	f.on("POST", prefix+"/v1/payments/sepa-credit-transfers", answer{status: 201, header: map[string]string{"ASPSP-SCA-Approach": "REDIRECT", "Location": f.srv.URL + payPath}, body: initiated})
	req, err := cl.BuildInitiate(sepaPayment(), Call{PSU: psu})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := cl.Send(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return rep.Initiation
}

func TestInitiate(t *testing.T) {
	cl, f, exs := newTestClient(t, Generic(), nil)
	req, err := cl.BuildInitiate(sepaPayment(), Call{PSU: psu})
	if err != nil {
		t.Fatal(err)
	}
	// The built request is complete before anything is sent.
	if req.Method != "POST" || req.URL != f.srv.URL+prefix+"/v1/payments/sepa-credit-transfers" || !req.SideEffects || req.Reconcile != ReconcileAskUser || req.Sensitive {
		t.Errorf("request %+v", req)
	}
	wantBody := `{"instructedAmount":{"currency":"EUR","amount":"12.50"},"debtorAccount":{"iban":"DE40100100103307118608"},"creditorName":"Merchant123","creditorAccount":{"iban":"DE02100100109307118603"},"remittanceInformationUnstructured":"Ref 42 & <co>"}`
	if string(req.Body) != wantBody {
		t.Errorf("body\n got %s\nwant %s", req.Body, wantBody)
	}
	for _, h := range []string{"X-Request-ID", "Date", "Digest", "Signature", "TPP-Signature-Certificate", "PSU-IP-Address", "TPP-Redirect-URI"} {
		if req.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if req.Header.Get("Date") != "Sun, 22 Nov 2026 10:00:00 GMT" || req.Header.Get("X-Request-ID") != req.RequestID {
		t.Errorf("Date %q, X-Request-ID %q", req.Header.Get("Date"), req.Header.Get("X-Request-ID"))
	}
	if strings.Join(req.Signature.Headers, " ") != "digest x-request-id tpp-redirect-uri date" {
		t.Errorf("signed %v", req.Signature.Headers)
	}
	f.on("POST", prefix+"/v1/payments/sepa-credit-transfers", answer{status: 201, header: map[string]string{"ASPSP-SCA-Approach": "REDIRECT", "Location": f.srv.URL + payPath}, body: initiated})
	rep, err := cl.Send(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// Send sent exactly the built bytes.
	got := f.last()
	if string(got.body) != wantBody || got.header.Get("Signature") != req.Header.Get("Signature") {
		t.Error("the bank did not receive the built bytes")
	}
	in := rep.Initiation
	if in.PaymentID != "1234-wertiq-983" || in.Status != TxReceived || in.Approach != Redirect || in.Location != f.srv.URL+payPath {
		t.Errorf("initiation %+v", in)
	}
	if in.Links["scaRedirect"].Href != "https://login.bank.example/sca?id=1" || in.Links["status"].Href != f.srv.URL+payPath+"/status" {
		t.Errorf("links %+v", in.Links)
	}
	if strings.ContainsAny(in.PSUMessage, "\x1b\u202e") || !strings.Contains(in.PSUMessage, "confirm") {
		t.Errorf("psuMessage not cleaned: %q", in.PSUMessage)
	}
	if len(*exs) != 1 || (*exs)[0].Protection.SigningString != req.Signature.SigningString || (*exs)[0].Protection.KeyID != cl.KeyID() || (*exs)[0].Status != 201 {
		t.Errorf("exchange %+v", *exs)
	}
}

func TestInitiateRefusesBadInput(t *testing.T) {
	cl, _, _ := newTestClient(t, Generic(), nil)
	for name, mod := range map[string]func(*Payment, *Call){
		"product":       func(p *Payment, _ *Call) { p.Product = "target-2-payments" },
		"currency":      func(p *Payment, _ *Call) { p.Amount.Currency = "NOK" },
		"zero":          func(p *Payment, _ *Call) { p.Amount.Minor = 0 },
		"huge":          func(p *Payment, _ *Call) { p.Amount.Minor = 1 << 62 },
		"iban checksum": func(p *Payment, _ *Call) { p.Creditor.IBAN = "DE03100100109307118603" },
		"iban lower":    func(p *Payment, _ *Call) { p.Creditor.IBAN = "de02100100109307118603" },
		"bban":          func(p *Payment, _ *Call) { p.Creditor = Account{BBAN: "86011117947"} },
		"name empty":    func(p *Payment, _ *Call) { p.CreditorName = "" },
		"name long":     func(p *Payment, _ *Call) { p.CreditorName = strings.Repeat("a", 71) },
		"name bidi":     func(p *Payment, _ *Call) { p.CreditorName = "Noor\u202e" },
		"remittance":    func(p *Payment, _ *Call) { p.Remittance = strings.Repeat("r", 141) },
		"bic":           func(p *Payment, _ *Call) { p.CreditorAgent = "nope" },
		"no ip":         func(_ *Payment, c *Call) { c.PSU.IPAddress = "" },
		"ipv6":          func(_ *Payment, c *Call) { c.PSU.IPAddress = "::1" },
		"geo":           func(_ *Payment, c *Call) { c.PSU.GeoLocation = "GEO:1;2" },
		"ua newline":    func(_ *Payment, c *Call) { c.PSU.UserAgent = "a\r\nX-Evil: 1" },
		"redirect http": func(_ *Payment, c *Call) { c.RedirectURI = "http://tpp.example/cb" },
	} {
		p, c := sepaPayment(), Call{PSU: psu}
		mod(&p, &c)
		req, err := cl.BuildInitiate(p, c)
		var ie *InputError
		if !errors.As(err, &ie) || req != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if strings.Contains(err.Error(), "9307118603") {
			t.Errorf("%s: error quotes the IBAN: %v", name, err)
		}
	}
}

func TestInitiateSpareBank1(t *testing.T) {
	cl, f, _ := newTestClient(t, SpareBank1(), nil)
	p := Payment{Product: "norwegian-domestic-credit-transfers", Amount: Amount{Minor: 100000, Currency: "NOK"},
		Debtor: Account{BBAN: "8601 11 17947"}, Creditor: Account{BBAN: "12345678903"}, CreditorName: "Ola Nordmann"}
	if _, err := cl.BuildInitiate(p, Call{PSU: psu}); err == nil {
		t.Fatal("built without a PSU session")
	}
	sess := &Session{PSUID: "psu-42", TPPSessionID: "sess-secret-123"}
	req, err := cl.BuildInitiate(p, Call{PSU: PSU{IPAddress: "10.0.0.1", Session: sess}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(req.URL, "/v1/payments/norwegian-domestic-credit-transfers?allowLogicalDuplicate=false") || req.Reconcile != ReconcileResendRefused {
		t.Errorf("url %s reconcile %s", req.URL, req.Reconcile)
	}
	if !strings.HasPrefix(req.Header.Get("Signature"), "=?utf-8?B?") || strings.Join(req.Signature.Headers, " ") != "date digest x-request-id psu-id tpp-redirect-uri" {
		t.Errorf("signature %q over %v", req.Header.Get("Signature"), req.Signature.Headers)
	}
	if req.Header.Get("PSU-ID") != "psu-42" || req.Header.Get("TPP-Session-ID") != "sess-secret-123" {
		t.Error("session headers missing")
	}
	f.on("POST", prefix+"/v1/payments/norwegian-domestic-credit-transfers", answer{status: 201, body: `{"transactionStatus":"RCVD","paymentId":"enc!!H6fD9HS7+/x==","_links":{"startAuthorisation":{"href":"/psd2/v1/payments/norwegian-domestic-credit-transfers/enc!!H6fD9HS7+%2Fx==/authorisations"}}}`})
	rep, err := cl.Send(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Initiation.PaymentID != "enc!!H6fD9HS7+/x==" {
		t.Errorf("payment id %q", rep.Initiation.PaymentID)
	}
	if got := f.last(); got.uri != prefix+"/v1/payments/norwegian-domestic-credit-transfers?allowLogicalDuplicate=false" {
		t.Errorf("uri %s", got.uri)
	}
	// A lost answer: the same create again, under a new X-Request-ID, Date and signature.
	again, err := cl.BuildResend(req, Call{PSU: PSU{IPAddress: "10.0.0.1", Session: sess}})
	if err != nil {
		t.Fatal(err)
	}
	if again.URL != req.URL || string(again.Body) != string(req.Body) || again.RequestID == req.RequestID || again.Header.Get("Signature") == req.Header.Get("Signature") || again.Reconcile != ReconcileResendRefused {
		t.Errorf("resend %+v", again.Redacted())
	}
	if _, err := cl.Send(ctx, again); err != nil { // the fake bank verifies the new signature
		t.Fatal(err)
	}
	if _, err := cl.BuildResend(req, Call{PSU: PSU{Session: sess}}); err == nil {
		t.Error("a resend without PSU-IP-Address was built")
	}
	bg, _, _ := newTestClient(t, Generic(), nil)
	if _, err := bg.BuildResend(mustBuild(t)(bg.BuildInitiate(sepaPayment(), Call{PSU: psu})), Call{PSU: psu}); err == nil {
		t.Error("a BG create (ask-user) was built for resending")
	}
	// The redacted copy hides the session id and cannot be sent.
	red := req.Redacted()
	if strings.Contains(red.Header.Get("TPP-Session-ID"), "secret") {
		t.Error("Redacted keeps the session id")
	}
	if _, err := cl.Send(ctx, red); err == nil {
		t.Error("a redacted request was sent")
	}
	// BOG: domestic takes Georgian IBANs only.
	bog, _, _ := newTestClient(t, BankOfGeorgia(), nil)
	gp := Payment{Product: "domestic", Amount: Amount{Minor: 12350, Currency: "GEL"}, Debtor: Account{IBAN: "GE29NB0000000101904917"}, Creditor: Account{IBAN: "DE02100100109307118603"}, CreditorName: "Merchant123"}
	if _, err := bog.BuildInitiate(gp, Call{PSU: psu}); err == nil {
		t.Error("BOG domestic took a German creditor IBAN")
	}
	gp.Product = "foreign"
	if _, err := bog.BuildInitiate(gp, Call{PSU: psu}); err != nil {
		t.Errorf("BOG foreign: %v", err)
	}
}

func TestAuthorisationSteps(t *testing.T) {
	cl, f, exs := newTestClient(t, Generic(), func(c *Config) { c.AllowEmbedded = true })
	in := initiate(t, cl, f)
	start := in.Links["startAuthorisation"]
	authPath := payPath + "/authorisations"
	f.on("POST", authPath, answer{status: 201, body: `{"scaStatus":"received","authorisationId":"123auth456","psuMessage":"Please use your BankApp.","_links":{"scaStatus":{"href":"/psd2/v1/payments/sepa-credit-transfers/1234-wertiq-983/authorisations/123auth456"},"updatePsuAuthentication":{"href":"/psd2/v1/payments/sepa-credit-transfers/1234-wertiq-983/authorisations/123auth456"}}}`})
	req, err := cl.BuildStartAuthorisation(start, StartAuth{}, Call{PSU: psu})
	if err != nil {
		t.Fatal(err)
	}
	if string(req.Body) != "{}" || req.Reconcile != ReconcileReadState {
		t.Errorf("start body %s", req.Body)
	}
	rep, err := cl.Send(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	a := rep.Authorisation
	if a.AuthorisationID != "123auth456" || a.SCAStatus != SCAReceived {
		t.Fatalf("authorisation %+v", a)
	}
	upd := a.Links["updatePsuAuthentication"]
	one := authPath + "/123auth456"
	methods := `{"scaStatus":"psuAuthenticated","scaMethods":[{"authenticationType":"SMS_OTP","authenticationMethodId":"sms-1","name":"SMS \u001b]0;x\u0007"},{"authenticationType":"PUSH_OTP","authenticationMethodId":"push-1"}],"_links":{"selectAuthenticationMethod":{"href":"` + "/psd2/v1/payments/sepa-credit-transfers/1234-wertiq-983/authorisations/123auth456" + `"}}}`
	for _, tc := range []struct {
		name      string
		schema    string
		upd       Update
		answer    string
		wantBody  string
		wantSCA   SCAStatus
		sensitive bool
		secret    string
	}{
		{"password", "updatePsuAuthenticationResponse", Update{Password: "hunter2-pw"}, methods, `{"psuData":{"password":"hunter2-pw"}}`, SCAPSUAuthenticated, true, "hunter2-pw"},
		{"select method", "selectPsuAuthenticationMethodResponse", Update{AuthenticationMethod: "sms-1"}, `{"scaStatus":"scaMethodSelected","chosenScaMethod":{"authenticationType":"SMS_OTP","authenticationMethodId":"sms-1"},"challengeData":{"otpMaxLength":6,"otpFormat":"integer","additionalInformation":"Code sent"},"_links":{"authoriseTransaction":{"href":"/psd2/v1/payments/sepa-credit-transfers/1234-wertiq-983/authorisations/123auth456"}}}`, `{"authenticationMethodId":"sms-1"}`, SCAMethodSelected, false, ""},
		{"tan", "scaStatusResponse", Update{TAN: "654321"}, `{"scaStatus":"finalised","_links":{"scaStatus":{"href":"/psd2/v1/payments/sepa-credit-transfers/1234-wertiq-983/authorisations/123auth456"}}}`, `{"scaAuthenticationData":"654321"}`, SCAFinalised, true, "654321"},
		{"confirmation", "scaStatusResponse", Update{ConfirmationCode: "conf-code-9"}, `{"scaStatus":"finalised","_links":{}}`, `{"confirmationCode":"conf-code-9"}`, SCAFinalised, true, "conf-code-9"},
		{"identification", "updatePsuIdenticationResponse", Update{Identification: true}, `{"scaStatus":"psuIdentified","psuMessage":"Please use your BankApp","_links":{}}`, `{}`, SCAPSUIdentified, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.on("PUT", one, answer{status: 200, body: tc.answer, schema: tc.schema})
			call := Call{PSU: psu}
			if tc.upd.Identification {
				call.PSU.ID = "PSU-1234"
			}
			req, err := cl.BuildUpdatePSUData(upd, tc.upd, call)
			if err != nil {
				t.Fatal(err)
			}
			if string(req.Body) != tc.wantBody || req.Sensitive != tc.sensitive || req.Method != "PUT" {
				t.Errorf("request %s %s sensitive=%v", req.Method, req.Body, req.Sensitive)
			}
			rep, err := cl.Send(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Authorisation.SCAStatus != tc.wantSCA {
				t.Errorf("scaStatus %s", rep.Authorisation.SCAStatus)
			}
			for _, m := range rep.Authorisation.Methods {
				if strings.ContainsAny(m.Name, "\x1b\x07") {
					t.Errorf("method name not cleaned: %q", m.Name)
				}
			}
			if tc.secret != "" {
				ex := (*exs)[len(*exs)-1]
				if strings.Contains(stringify(ex), tc.secret) || strings.Contains(stringify(req.Redacted()), tc.secret) {
					t.Errorf("secret %q reached the inspector or the redacted request", tc.secret)
				}
			}
		})
	}
	if _, err := cl.BuildUpdatePSUData(upd, Update{TAN: "1", ConfirmationCode: "2"}, Call{PSU: psu}); err == nil {
		t.Error("two updates in one request accepted")
	}
	// Embedded is off unless configured.
	off, f2, _ := newTestClient(t, Generic(), nil)
	in2 := initiate(t, off, f2)
	if _, err := off.BuildStartAuthorisation(in2.Links["startAuthorisation"], StartAuth{Password: "pw"}, Call{PSU: psu}); err == nil {
		t.Error("password accepted with AllowEmbedded off")
	}
	// A browser link is not an API link.
	if _, err := cl.BuildGetSCAStatus(in.Links["scaRedirect"], Call{PSU: psu}); err == nil {
		t.Error("scaRedirect accepted as an API link")
	}
	if _, err := cl.BuildGetSCAStatus(Link{Name: "scaStatus", Href: "https://evil.example/psd2/v1/x"}, Call{PSU: psu}); err == nil {
		t.Error("a link to another host accepted")
	}
}

func stringify(v any) string {
	return strings.ReplaceAll(strings.ReplaceAll(fmtAny(v), "\n", " "), "\t", " ")
}

func TestSCAStatusSpellings(t *testing.T) {
	cl, f, _ := newTestClient(t, SpareBank1(), nil)
	sess := &Session{PSUID: "psu-42", TPPSessionID: "sess-secret-123"}
	link := Link{Name: "scaStatus", Href: f.srv.URL + payPath + "/authorisations/a1"}
	for _, tc := range []struct {
		wire string
		want SCAStatus
		ok   bool
	}{
		{"STARTED", SCAStarted, true}, {"PSU_IDENTIFIED", SCAPSUIdentified, true}, {"psuAuthenticated", SCAPSUAuthenticated, true},
		{"SCA_METHOD_SELECTED", SCAMethodSelected, true}, {"Finalised", SCAFinalised, true}, {"EXEMPTED", SCAExempted, true},
		{"unconfirmed", SCAUnconfirmed, true}, {"FAILED", SCAFailed, true},
		{"DONE", "", false}, {"finalized", "", false}, {"", "", false},
	} {
		f.on("GET", payPath+"/authorisations/a1", answer{status: 200, body: `{"scaStatus":"` + tc.wire + `"}`, notBG: true})
		req, err := cl.BuildGetSCAStatus(link, Call{PSU: PSU{Session: sess}})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := cl.Send(ctx, req)
		if !tc.ok {
			var de *DecodeError
			if !errors.As(err, &de) || errors.Is(err, ErrOutcomeUnknown) {
				t.Errorf("%q: %v (a GET's bad answer is not an unknown outcome)", tc.wire, err)
			}
			continue
		}
		if err != nil || rep.Authorisation.SCAStatus != tc.want {
			t.Errorf("%q: %v %+v", tc.wire, err, rep)
		}
	}
	if !SCAExempted.Final() || SCAStarted.Final() || !SCAFailed.Final() {
		t.Error("Final")
	}
}

func TestTransactionStatus(t *testing.T) {
	cl, f, _ := newTestClient(t, Generic(), nil)
	in := initiate(t, cl, f)
	for _, tc := range []struct {
		wire  string
		norm  Normalised
		final bool
		ok    bool
	}{
		{"RCVD", AwaitingAuth, false, true}, {"PATC", AwaitingAuth, false, true}, {"ACTC", Authorised, false, true},
		{"ACCP", Authorised, false, true}, {"ACFC", Authorised, false, true}, {"ACWC", Authorised, false, true},
		{"PDNG", Processing, false, true}, {"ACSP", Processing, false, true},
		{"ACSC", Executed, true, true}, {"ACWP", Executed, true, true}, {"ACCC", Settled, true, true},
		{"RJCT", Rejected, true, true}, {"CANC", Cancelled, true, true},
		{"PART", "", false, false}, {"acsc", "", false, false}, {"DONE", "", false, false},
	} {
		f.on("GET", payPath+"/status", answer{status: 200, body: `{"transactionStatus":"` + tc.wire + `","fundsAvailable":true}`, notBG: !tc.ok})
		req, err := cl.BuildGetTransactionStatus(in.Links["status"], Call{PSU: psu})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := cl.Send(ctx, req)
		if !tc.ok {
			if err == nil {
				t.Errorf("%s accepted", tc.wire)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.wire, err)
		}
		st := rep.Status.Status
		if st.Normalised() != tc.norm || st.Final() != tc.final || rep.Status.FundsAvailable == nil || !*rep.Status.FundsAvailable {
			t.Errorf("%s: %s final=%v", tc.wire, st.Normalised(), st.Final())
		}
	}
}

func TestGetPaymentListAndCancel(t *testing.T) {
	cl, f, _ := newTestClient(t, Generic(), nil)
	in := initiate(t, cl, f)
	f.on("GET", payPath, answer{status: 200, body: `{"instructedAmount":{"currency":"EUR","amount":"12.50"},"debtorAccount":{"iban":"DE40100100103307118608"},"creditorName":"Merchant123","creditorAccount":{"iban":"DE02100100109307118603"},"transactionStatus":"ACSC"}`})
	req, _ := cl.BuildGetPayment(in.Links["self"], Call{PSU: psu})
	rep, err := cl.Send(ctx, req)
	if err != nil || rep.Payment.Amount != "12.50" || rep.Payment.Status != TxSettledDebtor {
		t.Errorf("get payment: %v %+v", err, rep)
	}
	f.on("GET", payPath+"/authorisations", answer{status: 200, body: `{"authorisationIds":["123auth456","a 2"]}`, notBG: true})
	req, _ = cl.BuildListAuthorisations(in.Links["startAuthorisation"], Call{PSU: psu})
	if _, err := cl.Send(ctx, req); err == nil {
		t.Error("an authorisation id with a space accepted")
	}
	f.on("GET", payPath+"/authorisations", answer{status: 200, body: `{"authorisationIds":["123auth456"]}`})
	rep, err = cl.Send(ctx, mustBuild(t)(cl.BuildListAuthorisations(in.Links["startAuthorisation"], Call{PSU: psu})))
	if err != nil || len(rep.AuthorisationIDs) != 1 {
		t.Errorf("list: %v %+v", err, rep)
	}
	// DELETE: 204 cancels; 202 asks for a cancellation authorisation.
	f.on("DELETE", payPath, answer{status: 204})
	rep, err = cl.Send(ctx, mustBuild(t)(cl.BuildCancel(in.Links["self"], Call{PSU: psu})))
	if err != nil || !rep.Cancellation.Cancelled {
		t.Errorf("204: %v %+v", err, rep)
	}
	f.on("DELETE", payPath, answer{status: 202, body: `{"transactionStatus":"ACTC","_links":{"self":{"href":"/psd2/v1/payments/sepa-credit-transfers/1234-wertiq-983"},"startAuthorisation":{"href":"/psd2/v1/payments/sepa-credit-transfers/1234-wertiq-983/cancellation-authorisations"}}}`})
	rep, err = cl.Send(ctx, mustBuild(t)(cl.BuildCancel(in.Links["self"], Call{PSU: psu})))
	if err != nil || rep.Cancellation.Cancelled || rep.Cancellation.Status != TxAcceptedTechnical {
		t.Fatalf("202: %v %+v", err, rep)
	}
	f.on("POST", payPath+"/cancellation-authorisations", answer{status: 201, body: `{"scaStatus":"received","authorisationId":"c1","_links":{"scaRedirect":{"href":"https://login.bank.example/cancel"}}}`})
	req, err = cl.BuildStartAuthorisation(rep.Cancellation.Links["startAuthorisation"], StartAuth{}, Call{PSU: psu})
	if err != nil || req.Op != OpStartCancellationSCA {
		t.Fatalf("%v %v", err, req)
	}
	rep, err = cl.Send(ctx, req)
	if err != nil || rep.Authorisation.AuthorisationID != "c1" {
		t.Errorf("cancellation authorisation: %v %+v", err, rep)
	}
}

func mustBuild(t *testing.T) func(*Request, error) *Request {
	return func(r *Request, err error) *Request {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

func TestErrors(t *testing.T) {
	cl, f, exs := newTestClient(t, Generic(), nil)
	post := prefix + "/v1/payments/sepa-credit-transfers"
	build := func() *Request { return mustBuild(t)(cl.BuildInitiate(sepaPayment(), Call{PSU: psu})) }

	f.on("POST", post, answer{status: 400, body: `{"tppMessages":[{"category":"ERROR","code":"FORMAT_ERROR","path":"creditorAccount.iban","text":"IBAN DE02100100109307118603 \u001b[2Jinvalid"}]}`})
	_, err := cl.Send(ctx, build())
	var be *BankError
	if !errors.As(err, &be) || be.Code() != "FORMAT_ERROR" || be.Messages[0].Path != "creditorAccount.iban" || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("400: %v", err)
	}
	if strings.Contains(err.Error(), "DE02100100109307118603") || strings.Contains(be.Messages[0].Text, "\x1b") {
		t.Errorf("400: bank text leaked into Error() or was not cleaned: %q / %q", err, be.Messages[0].Text)
	}

	f.on("POST", post, answer{status: 401, header: map[string]string{"Content-Type": "application/problem+json"}, body: `{"type":"https://berlin-group.org/problems/signature-invalid","title":"Signature invalid","code":"SIGNATURE_INVALID","additionalErrors":[{"title":"keyId","code":"CERTIFICATE_INVALID"}]}`})
	_, err = cl.Send(ctx, build())
	if !errors.As(err, &be) || be.Code() != "SIGNATURE_INVALID" || len(be.Messages) != 2 || !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrSessionRequired) {
		t.Errorf("problem+json: %v", err)
	}

	f.on("POST", post, answer{status: 429, header: map[string]string{"Retry-After": "7"}, body: `{"tppMessages":[{"category":"ERROR","code":"ACCESS_EXCEEDED"}]}`})
	_, err = cl.Send(ctx, build())
	if !errors.As(err, &be) || be.RetryAfter.Seconds() != 7 || !errors.Is(err, ErrRateLimited) {
		t.Errorf("429: %v", err)
	}

	// A 5xx or a lost answer to a POST: outcome unknown, never retried.
	f.on("POST", post, answer{status: 500, body: `{"tppMessages":[{"category":"ERROR","code":"INTERNAL_SERVER_ERROR"}]}`, notBG: true})
	before := len(f.got)
	_, err = cl.Send(ctx, build())
	if !errors.Is(err, ErrOutcomeUnknown) || len(f.got) != before+1 {
		t.Errorf("500 on POST: %v, %d sends", err, len(f.got)-before)
	}
	f.on("POST", post, answer{status: 201, hangUp: true})
	before = len(f.got)
	_, err = cl.Send(ctx, build())
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, ErrOutcomeUnknown) || len(f.got) != before+1 {
		t.Errorf("hang-up on POST: %v, %d sends", err, len(f.got)-before)
	}
	// A 201 the client cannot read: the bank did act.
	f.on("POST", post, answer{status: 201, body: `{"transactionStatus":"RCVD","paymentId":"p1","_links":{"self":{"href":"https://evil.example/v1/payments/x"}}}`, notBG: true})
	_, err = cl.Send(ctx, build())
	var de *DecodeError
	var le *LinkError
	if !errors.As(err, &de) || !errors.As(err, &le) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("link to another host: %v", err)
	}
	f.on("POST", post, answer{status: 201, body: strings.Repeat(" ", maxResponseBytes+1), notBG: true})
	if _, err = cl.Send(ctx, build()); !errors.As(err, &te) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("oversized: %v", err)
	}
	// A GET's 5xx is just an error: the core may read again.
	in := Link{Name: "status", Href: f.srv.URL + payPath + "/status"}
	f.on("GET", payPath+"/status", answer{status: 503, body: `{"tppMessages":[{"category":"ERROR","code":"SERVICE_UNAVAILABLE"}]}`})
	if _, err = cl.Send(ctx, mustBuild(t)(cl.BuildGetTransactionStatus(in, Call{PSU: psu}))); !errors.As(err, &be) || errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("503 on GET: %v", err)
	}
	for _, e := range *exs {
		if e.Err == "" && e.Status >= 400 {
			t.Errorf("exchange of a failed call has no Err: %+v", e)
		}
	}
}

func TestSpareBank1ErrorsAndSession(t *testing.T) {
	cl, f, _ := newTestClient(t, SpareBank1(), nil)
	// No session: GET /v1/users answers 401 with the login redirect.
	// The link as seed 002's example writes it, spaces in the query included.
	f.on("GET", prefix+"/v1/users", answer{status: 401, body: `{"_links":{"scaRedirect":{"href":"https://openbanking.sbm.no/tap?route_secesb_id=1&flow=psd2&state=ca477daf-d824-4f0b-b405-6c8fc385dc0b&locale=no-NB, no; q=1.0","verbs":["GET"]}}}`, notBG: true})
	req, err := cl.BuildEstablishSession(Call{PSU: PSU{IPAddress: "10.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := cl.Send(ctx, req)
	if err != nil || rep.SessionRedirect == nil || rep.SessionRedirect.Href != "https://openbanking.sbm.no/tap?route_secesb_id=1&flow=psd2&state=ca477daf-d824-4f0b-b405-6c8fc385dc0b&locale=no-NB,%20no;%20q=1.0" {
		t.Fatalf("session: %v %+v", err, rep)
	}
	// The redirect back.
	s, err := ParseSessionCallback(url.Values{"psu-id": {"psu-42"}, "tpp-session-id": {"sess-secret-123"}, "state": {"x"}})
	if err != nil || s.PSUID != "psu-42" || s.TPPSessionID.Reveal() != "sess-secret-123" {
		t.Fatalf("callback: %v %+v", err, s)
	}
	var denied *SessionDeniedError
	if _, err := ParseSessionCallback(url.Values{"message": {"cancelled \u001b[31m"}}); !errors.As(err, &denied) || strings.Contains(denied.Message, "\x1b") {
		t.Errorf("denied: %v", err)
	}
	for _, q := range []url.Values{{}, {"psu-id": {"a b"}, "tpp-session-id": {"x"}}, {"psu-id": {"a", "b"}, "tpp-session-id": {"x"}}} {
		if _, err := ParseSessionCallback(q); err == nil {
			t.Errorf("callback %v accepted", q)
		}
	}
	// SB1's error body and a 401 asking for a new session.
	link := Link{Name: "status", Href: f.srv.URL + prefix + "/v1/payments/sepa-credit-transfers/p1/status"}
	f.on("GET", prefix+"/v1/payments/sepa-credit-transfers/p1/status", answer{status: 404, body: `{"id":"5615873376","system":"ERA-PSD2","status":404,"code":"RESOURCE_UNKNOWN"}`, notBG: true})
	_, err = cl.Send(ctx, mustBuild(t)(cl.BuildGetTransactionStatus(link, Call{PSU: PSU{Session: &s}})))
	var be *BankError
	if !errors.As(err, &be) || be.Code() != "RESOURCE_UNKNOWN" || be.BankID != "5615873376" || be.System != "ERA-PSD2" || be.BodyStatus != 404 || !errors.Is(err, ErrNotFound) {
		t.Errorf("sb1 404: %v %+v", err, be)
	}
	f.on("GET", prefix+"/v1/payments/sepa-credit-transfers/p1/status", answer{status: 401, body: `{"_links":{"scaRedirect":{"href":"https://openbanking.sbm.no/tap?state=1"}}}`, notBG: true})
	_, err = cl.Send(ctx, mustBuild(t)(cl.BuildGetTransactionStatus(link, Call{PSU: PSU{Session: &s}})))
	if !errors.Is(err, ErrSessionRequired) || !errors.As(err, &be) || be.Links["scaRedirect"].Href == "" {
		t.Errorf("sb1 401: %v", err)
	}
	if strings.Contains(err.Error(), "sess-secret-123") {
		t.Error("session id in an error")
	}
}

func TestLinks(t *testing.T) {
	base, _ := url.Parse("https://api.bank.example/psd2")
	good := map[string]string{
		`{"self":{"href":"/psd2/v1/payments/p1"}}`:                                           "https://api.bank.example/psd2/v1/payments/p1",
		`{"self":{"href":"https://api.bank.example/psd2/v1/payments/p1"}}`:                   "https://api.bank.example/psd2/v1/payments/p1",
		`{"scaRedirect":{"href":"https://login.other.example/a?b=c"}}`:                       "https://login.other.example/a?b=c",
		`{"scaOAuth":{"href":"https://idp.example/.well-known/oauth-authorization-server"}}`: "https://idp.example/.well-known/oauth-authorization-server",
		// A bank page on the PSU's own machine (the embedded sandbox) may be plain http.
		`{"scaRedirect":{"href":"http://127.0.0.1:8080/sca/a1?t=x"}}`: "http://127.0.0.1:8080/sca/a1?t=x",
		`{"scaRedirect":{"href":"http://127.9.8.7/sca"}}`:             "http://127.9.8.7/sca",
		`{"scaRedirect":{"href":"http://[::1]:9/sca"}}`:               "http://[::1]:9/sca",
		`{"scaOAuth":{"href":"http://localhost:9/meta"}}`:             "http://localhost:9/meta",
	}
	for in, want := range good {
		l, err := decodeLinks([]byte(in), base)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		for _, v := range l {
			if v.Href != want {
				t.Errorf("%s: %s", in, v.Href)
			}
		}
	}
	for _, in := range []string{
		`{"self":{"href":"https://evil.example/psd2/v1/payments/p1"}}`,
		`{"self":{"href":"http://api.bank.example/psd2/v1/payments/p1"}}`,
		`{"self":{"href":"//evil.example/x"}}`,
		`{"self":{"href":"https://user@api.bank.example/x"}}`,
		`{"self":{"href":"v1/payments/p1"}}`,
		`{"self":{"href":"/x#frag"}}`,
		`{"self":{"href":"/x y"}}`,
		`{"scaRedirect":{"href":"https://login.example/a\tb"}}`,
		`{"self":{}}`,
		`{"scaRedirect":{"href":"http://login.example/"}}`,
		`{"scaRedirect":{"href":"http://127.0.0.1.evil.example/sca"}}`,
		`{"scaRedirect":{"href":"http://localhost.evil.example/sca"}}`,
		`{"scaRedirect":{"href":"http://10.0.0.1/sca"}}`,
		`{"scaOAuth":{"href":"http://idp.example/.well-known/oauth-authorization-server"}}`,
		`{"self":{"href":"http://127.0.0.1/psd2/v1/payments/p1"}}`,
		`{"scaRedirect":{"href":"javascript:alert(1)"}}`,
		`{"bad name":{"href":"/x"}}`,
		`[]`,
	} {
		if _, err := decodeLinks([]byte(in), base); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	k, c := qsealc(t)
	ok := Config{Profile: Generic(), BaseURL: "https://api.bank.example", HTTPClient: http.DefaultClient, Certificate: c, Key: k}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Config){
		"http base":  func(c *Config) { c.BaseURL = "http://api.bank.example" },
		"query base": func(c *Config) { c.BaseURL = "https://api.bank.example/?a=b" },
		"no client":  func(c *Config) { c.HTTPClient = nil },
		"no cert":    func(c *Config) { c.Certificate = nil },
		"no profile": func(c *Config) { c.Profile = Profile{} },
		"bad redir":  func(c *Config) { c.RedirectURI = "ftp://x" },
		"key mismatch": func(c *Config) {
			other, _ := qsealcOther(t)
			c.Key = other
		},
	} {
		cfg := ok
		mod(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestKeyIDCasePerProfile: Bank of Georgia signs with the serial in upper-case hex (the BG
// OpenAPI example SN=9FA1, which BOG's bank requires); the generic profile keeps adorsys's
// lower case.
func TestKeyIDCasePerProfile(t *testing.T) {
	for _, tc := range []struct {
		p    Profile
		want string
	}{{Generic(), "SN=1a2b3c,"}, {SpareBank1(), "SN=1a2b3c,"}, {BankOfGeorgia(), "SN=1A2B3C,"}} {
		cl, f, _ := newTestClient(t, tc.p, nil)
		if !strings.HasPrefix(cl.KeyID(), tc.want) {
			t.Errorf("%s: keyId %q, want the prefix %s", tc.p.Name, cl.KeyID(), tc.want)
		}
		if tc.p.Name != "bog" {
			continue
		}
		// The fake bank verifies the signature and compares the keyId it was given.
		p := Payment{Product: "domestic", Amount: Amount{Minor: 12350, Currency: "GEL"}, Debtor: Account{IBAN: "GE29NB0000000101904917"}, Creditor: Account{IBAN: "GE60NB0000000123456789"}, CreditorName: "Merchant123"}
		f.on("POST", prefix+"/v1/payments/domestic", answer{status: 201, header: map[string]string{"ASPSP-SCA-Approach": "REDIRECT"}, body: `{"transactionStatus":"RCVD","paymentId":"p1","_links":{"scaOAuth":{"href":"https://idp.example/.well-known/oauth-authorization-server"}}}`})
		req := mustBuild(t)(cl.BuildInitiate(p, Call{PSU: psu}))
		if !strings.Contains(req.Header.Get("Signature"), `keyId="SN=1A2B3C,CA=CN=payterm%20TPP,O=payterm,C=NO"`) {
			t.Errorf("bog Signature %q", req.Header.Get("Signature"))
		}
		if _, err := cl.Send(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAccountKindPerProduct: SpareBank 1 takes Norwegian kontonummer (BBAN) for its two
// domestic products only; cross-border and SEPA name both accounts, the debtor's too, by IBAN.
func TestAccountKindPerProduct(t *testing.T) {
	cl, _, _ := newTestClient(t, SpareBank1(), nil)
	call := Call{PSU: PSU{IPAddress: "10.0.0.1", Session: &Session{PSUID: "psu-42", TPPSessionID: "sess-secret-123"}}}
	bban, iban := Account{BBAN: "86011117947"}, Account{IBAN: "NO9386011117947"}
	for _, tc := range []struct {
		product, currency string
		debtor, creditor  Account
		ok                bool
		wantDebtor        string
	}{
		{"norwegian-domestic-credit-transfers", "NOK", bban, Account{BBAN: "12345678903"}, true, `"debtorAccount":{"bban":"86011117947"}`},
		{"instant-norwegian-domestic-credit-transfers-straks", "NOK", bban, Account{BBAN: "12345678903"}, true, `"debtorAccount":{"bban":"86011117947"}`},
		{"norwegian-domestic-credit-transfers", "NOK", iban, Account{BBAN: "12345678903"}, false, ""},
		{"cross-border-credit-transfers", "EUR", iban, Account{IBAN: "DE02100100109307118603"}, true, `"debtorAccount":{"iban":"NO9386011117947"}`},
		{"cross-border-credit-transfers", "EUR", bban, Account{IBAN: "DE02100100109307118603"}, false, ""},
		{"sepa-credit-transfers", "EUR", iban, Account{IBAN: "DE02100100109307118603"}, true, `"debtorAccount":{"iban":"NO9386011117947"}`},
		{"sepa-credit-transfers", "EUR", bban, Account{IBAN: "DE02100100109307118603"}, false, ""},
	} {
		p := Payment{Product: tc.product, Amount: Amount{Minor: 5000, Currency: tc.currency}, Debtor: tc.debtor, Creditor: tc.creditor, CreditorName: "Kari Nordmann"}
		req, err := cl.BuildInitiate(p, call)
		var ie *InputError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s with debtor %+v: %v", tc.product, tc.debtor, err)
		case !tc.ok && (!errors.As(err, &ie) || ie.Field != "debtor account"):
			t.Errorf("%s with debtor %+v: %v, want a debtor account input error", tc.product, tc.debtor, err)
		case tc.ok && !strings.Contains(string(req.Body), tc.wantDebtor):
			t.Errorf("%s: body %s", tc.product, req.Body)
		}
	}
}

// TestBuildRetry: a create the bank did not process (never sent, or answered 429) goes again
// as the same URL and body under a new X-Request-ID, Date and signature, on every profile;
// anything but a stored create is refused.
func TestBuildRetry(t *testing.T) {
	now := testClock()
	cl, f, _ := newTestClient(t, Generic(), func(c *Config) { c.Clock = func() time.Time { return now } })
	req := mustBuild(t)(cl.BuildInitiate(sepaPayment(), Call{PSU: psu}))
	now = now.Add(time.Minute) // the stored Date is stale now
	again, err := cl.BuildRetry(req, Call{PSU: psu})
	if err != nil {
		t.Fatal(err)
	}
	if again.URL != req.URL || string(again.Body) != string(req.Body) || again.RequestID == req.RequestID || again.Header.Get("Date") == req.Header.Get("Date") ||
		again.Header.Get("Signature") == req.Header.Get("Signature") || again.Reconcile != ReconcileAskUser || again.Op != OpInitiate {
		t.Errorf("retry %+v", again.Redacted())
	}
	f.on("POST", prefix+"/v1/payments/sepa-credit-transfers", answer{status: 201, header: map[string]string{"ASPSP-SCA-Approach": "REDIRECT", "Location": f.srv.URL + payPath}, body: initiated})
	if _, err := cl.Send(ctx, again); err != nil { // the fake bank verifies the new signature and digest
		t.Fatal(err)
	}
	// SpareBank 1 keeps allowLogicalDuplicate=false and its reconcile hint.
	sb1, _, _ := newTestClient(t, SpareBank1(), nil)
	sess := Call{PSU: PSU{IPAddress: "10.0.0.1", Session: &Session{PSUID: "psu-42", TPPSessionID: "sess-secret-123"}}}
	p := Payment{Product: "norwegian-domestic-credit-transfers", Amount: Amount{Minor: 100_00, Currency: "NOK"},
		Debtor: Account{BBAN: "86011117947"}, Creditor: Account{BBAN: "12345678903"}, CreditorName: "Kiosk AS"}
	first := mustBuild(t)(sb1.BuildInitiate(p, sess))
	if r, err := sb1.BuildRetry(first, sess); err != nil || r.URL != first.URL || r.Reconcile != ReconcileResendRefused {
		t.Errorf("sb1 retry: %v", err)
	}
	// Refused: not a create, another bank's create, a query the profile does not send, no IP.
	auth := mustBuild(t)(cl.BuildStartAuthorisation(Link{Name: "startAuthorisation", Href: f.srv.URL + payPath + "/authorisations"}, StartAuth{}, Call{PSU: psu}))
	other := *req
	other.URL = "https://evil.example/psd2/v1/payments/sepa-credit-transfers"
	query := *req
	query.URL += "?allowLogicalDuplicate=true"
	for name, c := range map[string]struct {
		cl   *Client
		r    *Request
		call Call
	}{
		"authorisation": {cl, auth, Call{PSU: psu}}, "other host": {cl, &other, Call{PSU: psu}}, "query": {cl, &query, Call{PSU: psu}},
		"sb1 create at bg": {cl, first, Call{PSU: psu}}, "no ip": {cl, req, Call{}}, "nil": {cl, nil, Call{PSU: psu}},
	} {
		var ie *InputError
		if _, err := c.cl.BuildRetry(c.r, c.call); !errors.As(err, &ie) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
