package op

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/payterm/payterm/money"
	"github.com/payterm/payterm/provider"
	opbank "github.com/payterm/payterm/sandbox/op"
)

// The journeys run payterm's client against the strict embedded OP bank (sandbox/op), which
// checks every request with its own JOSE code: a request the client gets wrong fails here,
// not only in a unit test the client's author wrote.

const journeyRedirect = "https://wallet.example/op/back"

type tclock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tclock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *tclock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type journey struct {
	t       testing.TB
	clk     *tclock
	bank    *opbank.Bank
	srv     *httptest.Server
	client  *Bank
	browser *http.Client
	pool    *x509.CertPool
	cert    tls.Certificate
	sigKey  *ecdsa.PrivateKey
}

func cert(t testing.TB, server bool) tls.Certificate {
	k := ecKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "payterm-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: leaf}
}

func newJourney(t testing.TB, scenario string) *journey {
	j := &journey{t: t, clk: &tclock{t: time.Now().UTC().Truncate(time.Second)}, cert: cert(t, false), sigKey: ecKey(t)}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: j.sigKey.Public(), KeyID: "tpp-qseal", Algorithm: "ES256", Use: "sig"}}})
	b, err := opbank.New(opbank.Config{DataDir: t.TempDir(), ClientID: "tpp-journey", ClientSecret: "journey-secret", APIKey: "journey-key",
		ClientJWKS: jwks, ClientCert: j.cert.Leaf, RedirectURIs: []string{journeyRedirect}, Clock: j.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	j.bank = b
	j.srv = httptest.NewUnstartedServer(b.Handler())
	j.srv.TLS = opbank.TLSConfig(cert(t, true))
	j.srv.Config.ErrorLog = nil
	j.srv.StartTLS()
	t.Cleanup(j.srv.Close)
	b.SetURL(j.srv.URL)
	j.pool = x509.NewCertPool()
	j.pool.AddCert(j.srv.TLS.Certificates[0].Leaf)
	j.browser = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: j.pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var keys jose.JSONWebKeySet
	if err := json.Unmarshal(b.JWKS(), &keys); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Name: "OP", APIBase: j.srv.URL, AuthorizeURL: j.srv.URL + "/oauth/authorize", ClientID: "tpp-journey",
		ClientSecret: "journey-secret", APIKey: "journey-key", Key: j.sigKey, KeyID: "tpp-qseal", RedirectURI: journeyRedirect,
		PaymentKeys: &keys, IDTokenKeys: &keys, ClientCert: &j.cert, RootCAs: j.pool, SandboxScenario: scenario, Clock: j.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	j.client = c
	return j
}

func jintent(amount string) provider.Intent {
	a, _ := money.ParseWire(amount)
	return provider.Intent{Product: ProductID, Amount: provider.Money{Amount: a, Currency: "EUR"},
		Creditor:  provider.Party{Name: "Matti Meikäläinen", Account: "FI4950009420028730", Scheme: provider.SchemeIBAN},
		Reference: "Invoice 42", IdempotencyKey: uuid.NewString()}
}

// created builds and sends one payment, as the core does (stored bytes, then Send).
func (j *journey) created(amount string) provider.Payment {
	j.t.Helper()
	in := jintent(amount)
	req, err := j.client.Build(context.Background(), in, provider.Evidence{}, provider.Facts{})
	if err != nil {
		j.t.Fatal(err)
	}
	p := provider.Payment{Amount: in.Amount, Request: req}
	st, err := j.client.Send(context.Background(), p)
	if err != nil {
		j.t.Fatal(err)
	}
	p.State = st
	return p
}

var pageField = regexp.MustCompile(`name="page" value="([^"]+)"`)
var approveBox = regexp.MustCompile(`name="approve" value="([^"]+)"`)

// browse plays the payer's browser on OP's page: it opens the Action's address, ticks the
// payments pick chooses (nil: all) and answers outcome; it returns where OP sends the browser.
func (j *journey) browse(act *provider.Action, outcome string, pick func(i int) bool) string {
	j.t.Helper()
	if act == nil || act.Kind != provider.ActionRedirect || !act.NeedsCallback {
		j.t.Fatalf("no page to open: %+v", act)
	}
	resp, err := j.browser.Get(act.URL)
	if err != nil {
		j.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		j.t.Fatalf("authorize page %d %s", resp.StatusCode, page)
	}
	f := url.Values{"page": {string(pageField.FindSubmatch(page)[1])}, "outcome": {outcome}}
	for i, m := range approveBox.FindAllSubmatch(page, -1) {
		if pick == nil || pick(i) {
			f.Add("approve", string(m[1]))
		}
	}
	resp, err = j.browser.PostForm(j.srv.URL+"/oauth/authorize", f)
	if err != nil {
		j.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Location")
}

// allPassed checks the bank found nothing wrong with any request the client sent.
// approvedOnOPsPage is a payment of amount the payer approved on OP's page, and the address
// OP sent the browser back to (not yet given to the client).
func (j *journey) approvedOnOPsPage(amount string) (provider.Payment, string) {
	p := j.created(amount)
	st, act, _ := j.client.Approve(context.Background(), p, provider.Input{})
	p.State = st
	return p, j.browse(act, "approve", nil)
}

func (j *journey) allPassed() {
	j.t.Helper()
	vs := j.bank.Verdicts()
	if len(vs) == 0 {
		j.t.Fatal("the bank saw no request")
	}
	for _, v := range vs {
		if f := v.Failed(); f != nil {
			j.t.Fatalf("the bank refused a %s request: rule %d %s: %s", v.Endpoint, f.Rule, f.Name, f.Detail)
		}
	}
}

func TestJourneyDefaultFlow(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	p := j.created("12.50")
	if p.State.Status != provider.StatusAwaitingBankSCA || p.State.BankStatus != "Unauthorized" {
		t.Fatalf("created %+v", p.State)
	}
	st, act, err := j.client.Approve(ctx, p, provider.Input{})
	if err != nil {
		t.Fatal(err)
	}
	p.State = st
	back := j.browse(act, "approve", nil)
	st, act, err = j.client.Approve(ctx, p, provider.Input{CallbackURL: back})
	if err != nil || act != nil {
		t.Fatalf("%v %+v", err, act)
	}
	if st.BankStatus != "Accepted" || st.Status != provider.StatusProcessing || st.Final {
		t.Fatalf("after submit %+v", st)
	}
	if j.client.RefreshExpiry(mustMemo(t, st).AuthorizationID).Sub(j.clk.Now()) != RefreshLife {
		t.Fatal("refresh expiry not 45 days")
	}
	p.State = st
	st, err = j.client.Status(ctx, p)
	if err != nil || st.Status != provider.StatusExecuted || !st.Final || st.BankStatus != "Submitted" {
		t.Fatalf("status %+v %v", st, err)
	}
	if d := j.bank.PaymentDebits(st.BankRef); d != 1 {
		t.Fatalf("debited %d times", d)
	}
	j.allPassed()
}

func mustMemo(t *testing.T, st provider.State) *memo {
	m, err := decodeMemo(st.Blob)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestJourneyBundleOfTwoApprovedOnce(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	bu, err := j.client.CreateBundle(ctx, []provider.Intent{jintent("3.00"), jintent("4.50")})
	if err != nil {
		t.Fatal(err)
	}
	if len(bu.Items) != 2 || mustMemo(t, bu.Items[1].State).AuthorizationID != bu.AuthorizationID {
		t.Fatalf("bundle %+v", bu)
	}
	act, err := j.client.BundleAction(bu)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.client.CompleteBundle(ctx, bu, j.browse(act, "approve", nil)); err != nil {
		t.Fatal(err)
	}
	if err := j.client.PollBundle(ctx, bu); err != nil {
		t.Fatal(err)
	}
	for i, it := range bu.Items {
		if it.State.Status != provider.StatusExecuted || j.bank.PaymentDebits(it.State.BankRef) != 1 {
			t.Fatalf("payment %d: %+v", i, it.State)
		}
	}
	j.allPassed()
}

func TestJourneyBundlePayerApprovesOnlyOne(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	bu, err := j.client.CreateBundle(ctx, []provider.Intent{jintent("3.00"), jintent("4.50")})
	if err != nil {
		t.Fatal(err)
	}
	act, _ := j.client.BundleAction(bu)
	if err := j.client.CompleteBundle(ctx, bu, j.browse(act, "approve", func(i int) bool { return i == 1 })); err != nil {
		t.Fatal(err)
	}
	if s := bu.Items[0].State; s.Status != provider.StatusRejected || !s.Final {
		t.Fatalf("left out: %+v", s)
	}
	if s := bu.Items[1].State; s.BankStatus != "Accepted" {
		t.Fatalf("approved: %+v", s)
	}
	j.allPassed() // the client never submitted the one left out
}

func TestJourneyRefusedSubmission(t *testing.T) {
	j := newJourney(t, "PaymentFail=AccountClosed")
	ctx := context.Background()
	p := j.created("12.50")
	st, act, _ := j.client.Approve(ctx, p, provider.Input{})
	p.State = st
	st, _, err := j.client.Approve(ctx, p, provider.Input{CallbackURL: j.browse(act, "approve", nil)})
	if err != nil || st.Status != provider.StatusRejected || !st.Final || st.RejectMessage == "" {
		t.Fatalf("%+v %v", st, err)
	}
	if j.bank.PaymentDebits(st.BankRef) != 0 {
		t.Fatal("a refused payment was debited")
	}
}

func TestJourneyPayerRejectsAtOP(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	p := j.created("12.50")
	st, act, _ := j.client.Approve(ctx, p, provider.Input{})
	p.State = st
	st, act, err := j.client.Approve(ctx, p, provider.Input{CallbackURL: j.browse(act, "reject", nil)})
	if err != nil || act != nil || st.Status != provider.StatusRejected || !st.Final {
		t.Fatalf("%+v %+v %v", st, act, err)
	}
}

// A lost answer to the create, and then to every submission: the client resends under the
// same x-idempotency-key and the same submissionId (Go's transport also replays a request
// carrying an idempotency key, or a PUT, once by itself); OP holds one payment and debits it
// once.
func TestJourneyLostAnswersPayOnce(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	in := jintent("20.00")
	req, err := j.client.Build(ctx, in, provider.Evidence{}, provider.Facts{})
	if err != nil {
		t.Fatal(err)
	}
	p := provider.Payment{Amount: in.Amount, Request: req}
	j.bank.DropNextAnswers(2)
	if _, err := j.client.Send(ctx, p); !errors.Is(err, provider.ErrOutcomeUnknown) {
		t.Fatalf("lost answer: %v", err)
	}
	st, err := j.client.Lookup(ctx, p)
	if err != nil || st.BankStatus != "Unauthorized" || j.bank.Payments() != 1 {
		t.Fatalf("lookup %+v %v (payments %d)", st, err, j.bank.Payments())
	}
	p.State = st
	st, act, _ := j.client.Approve(ctx, p, provider.Input{})
	p.State = st
	back := j.browse(act, "approve", nil)
	j.bank.DropNextSubmitAnswers(4) // the PUT, its replay, the client's retry and its replay
	st, _, err = j.client.Approve(ctx, p, provider.Input{CallbackURL: back})
	if !errors.Is(err, provider.ErrOutcomeUnknown) || mustMemo(t, st).SubmissionID == "" {
		t.Fatalf("lost submission: %+v %v", st, err)
	}
	p.State = st // the core stores what Approve returned, with the submissionId
	st, err = j.client.Status(ctx, p)
	if err != nil || st.Status != provider.StatusExecuted {
		t.Fatalf("%+v %v", st, err)
	}
	if d := j.bank.PaymentDebits(st.BankRef); d != 1 || j.bank.Payments() != 1 {
		t.Fatalf("debited %d, payments %d", d, j.bank.Payments())
	}
	j.allPassed()
}

func TestJourneyAnswerNotSignedByOPIsNotRead(t *testing.T) {
	j := newJourney(t, "")
	// The client trusts another key for answers: every answer fails verification.
	other := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ecKey(t).Public(), KeyID: "x"}}}
	j.client.cfg.PaymentKeys = other
	in := jintent("5.00")
	req, _ := j.client.Build(context.Background(), in, provider.Evidence{}, provider.Facts{})
	_, err := j.client.Send(context.Background(), provider.Payment{Amount: in.Amount, Request: req})
	var se *SignatureError
	if !errors.As(err, &se) || !errors.Is(err, provider.ErrOutcomeUnknown) {
		t.Fatalf("%v", err)
	}
}

func TestJourneyRevokeBundleRevokesEveryPayment(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	bu, err := j.client.CreateBundle(ctx, []provider.Intent{jintent("3.00"), jintent("4.00"), jintent("5.00")})
	if err != nil {
		t.Fatal(err)
	}
	au, err := j.client.BundleOf(ctx, bu.AuthorizationID)
	if err != nil || len(au.PaymentIDs) != 3 || au.Status != "Unauthorized" {
		t.Fatalf("%+v %v", au, err)
	}
	if w := RevokeWarning(len(au.PaymentIDs)); w != "Revoking this authorization at OP revokes every payment in it: all 3 of them, not only this one." {
		t.Fatal(w)
	}
	if au, err = j.client.RevokeBundle(ctx, bu.AuthorizationID); err != nil || au.Status != "Revoked" {
		t.Fatalf("%+v %v", au, err)
	}
	if err := j.client.PollBundle(ctx, bu); err != nil {
		t.Fatal(err)
	}
	for i, it := range bu.Items {
		if it.State.Status != provider.StatusCancelled || !it.State.Final || it.State.BankStatus != "Revoked" {
			t.Fatalf("payment %d: %+v", i, it.State)
		}
	}
	j.allPassed()
}

func TestJourneyCancelOnePayment(t *testing.T) {
	j := newJourney(t, "")
	p := j.created("6.00")
	st, act, err := j.client.Cancel(context.Background(), p)
	if err != nil || act != nil || st.Status != provider.StatusCancelled || !st.Final {
		t.Fatalf("%+v %v", st, err)
	}
	j.allPassed()
}

// The answer to the payment read after the code exchange is lost: the code is spent, but the
// payer's token is held, so the next poll submits the approved payment (once).
func TestJourneyPollResumesAfterALostAnswer(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	p, back := j.approvedOnOPsPage("9.00")
	j.bank.DropNextAnswers(2) // the read and the transport's replay of it
	st, _, err := j.client.Approve(ctx, p, provider.Input{CallbackURL: back})
	if !errors.Is(err, provider.ErrOutcomeUnknown) {
		t.Fatalf("%+v %v", st, err)
	}
	st, act, err := j.client.Approve(ctx, p, provider.Input{})
	if err != nil || act != nil || st.BankStatus != "Accepted" {
		t.Fatalf("%+v %+v %v", st, act, err)
	}
	p.State = st
	if st, err = j.client.Status(ctx, p); err != nil || st.Status != provider.StatusExecuted || j.bank.PaymentDebits(st.BankRef) != 1 {
		t.Fatalf("%+v %v", st, err)
	}
}

// A Pending submission (OP's payment system down) is submitted again under the same
// submissionId while it is still the same day in Helsinki — the payer's token renewed with the
// refresh token — and not after midnight there, when OP says Error.
func TestJourneyPendingResubmittedUntilHelsinkiMidnight(t *testing.T) {
	for _, c := range []struct {
		wait time.Duration
		want string
	}{{11*time.Hour + 50*time.Minute, "Accepted"}, {12*time.Hour + 10*time.Minute, "Error"}} {
		j := newJourney(t, "PaymentSystemUnavailable")
		j.clk.t = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) // 12:00 in Helsinki
		ctx := context.Background()
		p := j.created("7.00")
		st, act, _ := j.client.Approve(ctx, p, provider.Input{})
		p.State = st
		st, _, err := j.client.Approve(ctx, p, provider.Input{CallbackURL: j.browse(act, "approve", nil)})
		if err != nil || st.BankStatus != "Pending" || st.Final {
			t.Fatalf("%+v %v", st, err)
		}
		p.State = st
		j.client.cfg.SandboxScenario = "" // the payment system is back
		j.clk.Add(c.wait)
		st, err = j.client.Status(ctx, p)
		if err != nil || st.BankStatus != c.want {
			t.Fatalf("after %s: %+v %v", c.wait, st, err)
		}
		debits := 0
		if c.want == "Accepted" {
			p.State = st
			if st, err = j.client.Status(ctx, p); err != nil || st.Status != provider.StatusExecuted {
				t.Fatalf("%+v %v", st, err)
			}
			debits = 1
		}
		if j.bank.PaymentDebits(st.BankRef) != debits {
			t.Fatalf("debited %d", j.bank.PaymentDebits(st.BankRef))
		}
	}
}

// A payment whose approval allows two identical submissions (count 2): one approval, two
// submissions, two debits; a third is refused by OP.
func TestJourneyCountTwoSubmittedTwiceUnderOneApproval(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	bu, err := j.client.CreateBundleWith(ctx, []BundleRequest{{Intent: jintent("2.00"), Count: 2}})
	if err != nil {
		t.Fatal(err)
	}
	act, _ := j.client.BundleAction(bu)
	if err := j.client.CompleteBundle(ctx, bu, j.browse(act, "approve", nil)); err != nil {
		t.Fatal(err)
	}
	p := provider.Payment{State: bu.Items[0].State}
	second, err := j.client.SubmitAgain(ctx, p, 2)
	if err != nil || second.BankStatus != "Accepted" || mustMemo(t, second).SubmissionID == mustMemo(t, p.State).SubmissionID {
		t.Fatalf("%+v %v", second, err)
	}
	for _, s := range []provider.State{bu.Items[0].State, second} {
		if st, err := j.client.Status(ctx, provider.Payment{State: s}); err != nil || st.Status != provider.StatusExecuted {
			t.Fatalf("%+v %v", st, err)
		}
	}
	if d := j.bank.PaymentDebits(second.BankRef); d != 2 {
		t.Fatalf("debited %d", d)
	}
	if _, err := j.client.SubmitAgain(ctx, p, 3); err == nil {
		t.Fatal("a third submission of a count-2 payment was taken")
	}
	if d := j.bank.PaymentDebits(second.BankRef); d != 2 {
		t.Fatalf("debited %d", d)
	}
}

// A poll that reads the payment as approved before the browser's callback has come back (OP
// marks it Authorized first) keeps waiting for that callback: only its code gets the payer's
// token, so ending the approval there would leave the payment Authorized and never submitted.
func TestJourneyPollBeforeTheCallbackKeepsWaitingForIt(t *testing.T) {
	j := newJourney(t, "")
	ctx := context.Background()
	p, back := j.approvedOnOPsPage("9.00")
	st, act, err := j.client.Approve(ctx, p, provider.Input{})
	if err != nil || act == nil || !act.NeedsCallback || st.Status != provider.StatusAwaitingBankSCA {
		t.Fatalf("the poll between OP's approval and its callback: %+v %+v %v", st, act, err)
	}
	p.State = st
	st, act, err = j.client.Approve(ctx, p, provider.Input{CallbackURL: back})
	if err != nil || act != nil || st.BankStatus != "Accepted" {
		t.Fatalf("the callback after it: %+v %+v %v", st, act, err)
	}
	p.State = st
	if st, err = j.client.Status(ctx, p); err != nil || st.Status != provider.StatusExecuted || j.bank.PaymentDebits(st.BankRef) != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	j.allPassed()
}
