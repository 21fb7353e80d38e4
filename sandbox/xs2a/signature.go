package xs2a

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/payterm/payterm/sandbox/xs2a/sigcheck"
)

func sigInvalid(text string) *bankError {
	return fail(http.StatusUnauthorized, "SIGNATURE_INVALID", text)
}

// checkSignature runs rules 4–17 on a request whose TPP presented qwac.
func (b *Bank) checkSignature(c *call, qwac *x509.Certificate) error {
	r := c.r
	sigHdr := r.Header.Values("Signature")
	digestHdr := r.Header.Values("Digest")
	if len(sigHdr) == 0 {
		if b.prof.RequireSignature {
			c.check(RuleSignaturePresent, "Signature present", errors.New("the bank requires signed requests"))
			return fail(http.StatusUnauthorized, "SIGNATURE_MISSING", "this bank requires a Signature header (draft-cavage-10 with your QSealC) on every request")
		}
		if len(digestHdr) > 0 {
			c.check(RuleDigestIffSignature, "Digest present iff Signature", errors.New("Digest without Signature"))
			return &bankError{status: 400, code: "FORMAT_ERROR", path: "Digest", text: "Digest is sent if and only if Signature is sent"}
		}
		return nil
	}
	c.check(RuleSignaturePresent, "Signature present", nil)
	rep := &SignatureReport{}
	c.v.Signature = rep

	// Rules 5–6: Digest.
	if len(digestHdr) != 1 {
		c.check(RuleDigestIffSignature, "Digest present iff Signature", errors.New("Signature without exactly one Digest header"))
		return &bankError{status: 400, code: "FORMAT_ERROR", path: "Digest", text: "a signed request carries one Digest header (SHA-256=base64 of the body)"}
	}
	c.check(RuleDigestIffSignature, "Digest present iff Signature", nil)
	rep.ReceivedDigest = digestHdr[0]
	computed, err := sigcheck.CheckDigest(digestHdr[0], c.body)
	if computed == "" {
		computed, _ = sigcheck.Digest("SHA-256", c.body)
	}
	rep.ComputedDigest = computed
	if c.check(RuleDigestMatches, "Digest matches the body", err) != nil {
		return &bankError{status: 400, code: "FORMAT_ERROR", path: "Digest", text: err.Error() + "; hash the exact bytes you send"}
	}

	// Rules 7–8: Date.
	dates := r.Header.Values("Date")
	var date time.Time
	if len(dates) == 1 {
		date, err = time.Parse(http.TimeFormat, dates[0])
	}
	if len(dates) != 1 || err != nil {
		c.check(RuleDatePresent, "Date present (IMF-fixdate)", errors.New("missing, repeated or not an IMF-fixdate"))
		return &bankError{status: 400, code: "FORMAT_ERROR", path: "Date", text: "a signed request carries one Date header, e.g. Sun, 22 Nov 2026 10:00:00 GMT"}
	}
	c.check(RuleDatePresent, "Date present (IMF-fixdate)", nil)
	if skew := b.now().Sub(date); skew > b.cfg.DateSkew || skew < -b.cfg.DateSkew {
		c.check(RuleDateSkew, "Date within the allowed skew", fmt.Errorf("Date is %s away from the bank's clock (allowed ±%s)", skew.Round(time.Second), b.cfg.DateSkew))
		return fail(http.StatusBadRequest, "TIMESTAMP_INVALID", fmt.Sprintf("Date is not within ±%s of the bank's clock", b.cfg.DateSkew))
	}
	c.check(RuleDateSkew, "Date within the allowed skew", nil)

	// Rules 9–11: TPP-Signature-Certificate.
	certHdr := r.Header.Values("TPP-Signature-Certificate")
	if len(certHdr) != 1 || certHdr[0] == "" {
		c.check(RuleSigCertPresent, "TPP-Signature-Certificate present", errors.New("missing"))
		return fail(http.StatusUnauthorized, "CERTIFICATE_MISSING", "a signed request carries TPP-Signature-Certificate: the base64 DER of your QSealC")
	}
	c.check(RuleSigCertPresent, "TPP-Signature-Certificate present", nil)
	seal, err := b.parseSealCert(certHdr[0])
	if err != nil {
		c.check(RuleSigCertValid, "signing certificate valid", err)
		code := "CERTIFICATE_INVALID"
		if errors.Is(err, errCertExpired) {
			code = "CERTIFICATE_EXPIRED"
		}
		return fail(http.StatusUnauthorized, code, err.Error())
	}
	c.check(RuleSigCertValid, "signing certificate valid", nil)
	b.mu.Lock()
	rec := b.st.Certs[serialHex(seal)]
	b.mu.Unlock()
	if rec == nil || rec.Kind != kindQSealC || rec.TPPID != c.tpp.ID {
		c.check(RuleSigCertSameTPP, "signing certificate is this TPP's QSealC", errors.New("the QSealC was not issued to the TPP of the transport certificate"))
		return fail(http.StatusUnauthorized, "CERTIFICATE_INVALID", "TPP-Signature-Certificate is not the QSealC registered for the TPP of your transport certificate")
	}
	c.check(RuleSigCertSameTPP, "signing certificate is this TPP's QSealC", nil)
	wantKeyID := sigcheck.ExpectedKeyID(serialHex(seal), issuerDN(seal), b.prof.KeyID)
	rep.ExpectedKeyID = wantKeyID

	// Rule 12: the header parses.
	if len(sigHdr) != 1 {
		c.check(RuleSignatureParses, "Signature header parses", errors.New("more than one Signature header"))
		return sigInvalid("send one Signature header")
	}
	p, err := sigcheck.Parse(sigHdr[0], b.prof.Allow2047)
	if c.check(RuleSignatureParses, "Signature header parses", err) != nil {
		return sigInvalid(err.Error())
	}
	rep.KeyID, rep.Algorithm, rep.Headers, rep.Wrapped = p.KeyID, p.Algorithm, p.Headers, p.Wrapped

	// Rule 13: keyId.
	if err := sigcheck.MatchKeyID(p.KeyID, serialHex(seal), issuerDN(seal), b.prof.KeyID); c.check(RuleKeyID, "keyId names the signing certificate", err) != nil {
		return sigInvalid(err.Error() + " (expected form: " + wantKeyID + ")")
	}
	// Rule 14: algorithm.
	pub, ok := seal.PublicKey.(*rsa.PublicKey)
	_, aerr := sigcheck.HashFor(p.Algorithm)
	if !ok {
		aerr = errors.New("the signing certificate's key is not RSA")
	}
	if c.check(RuleAlgorithm, "algorithm is rsa-sha256 or rsa-sha512", aerr) != nil {
		return sigInvalid(aerr.Error())
	}
	// Rules 15–16: the signed header list.
	mandatory := []string{"digest", "x-request-id"}
	if b.prof.SignDate {
		mandatory = append(mandatory, "date")
	}
	for _, h := range []string{"psu-id", "psu-corporate-id", "tpp-redirect-uri"} {
		if len(r.Header.Values(h)) > 0 {
			mandatory = append(mandatory, h)
		}
	}
	var missing []string
	for _, m := range mandatory {
		if !slices.Contains(p.Headers, m) {
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		c.check(RuleSignedHeaders, "headers include the mandatory ones", fmt.Errorf("not signed: %s", strings.Join(missing, " ")))
		return sigInvalid("the signature's headers must include " + strings.Join(mandatory, " ") + "; missing: " + strings.Join(missing, " "))
	}
	c.check(RuleSignedHeaders, "headers include the mandatory ones", nil)
	if b.prof.StrictHeaders {
		allowed := append(slices.Clone(mandatory), "date")
		var extra []string
		for _, h := range p.Headers {
			if !slices.Contains(allowed, h) {
				extra = append(extra, h)
			}
		}
		if len(extra) > 0 {
			c.check(RuleNoExtraHeaders, "headers list nothing else", fmt.Errorf("not allowed: %s", strings.Join(extra, " ")))
			return sigInvalid("the signature's headers may list only " + strings.Join(allowed, " ") + "; remove: " + strings.Join(extra, " "))
		}
		c.check(RuleNoExtraHeaders, "headers list nothing else", nil)
	}
	// Rule 17: rebuild and verify.
	ss, err := sigcheck.SigningString(r.Method, r.URL.RequestURI(), r.Host, r.Header, p.Headers)
	if err == nil {
		sum := sha256.Sum256([]byte(ss))
		rep.SigningStringSHA256 = hex.EncodeToString(sum[:])
		rep.SigningString = redactSigningString(ss)
		err = sigcheck.Verify(pub, p.Algorithm, ss, p.Signature)
	}
	if c.check(RuleSignatureVerifies, "signature verifies", err) != nil {
		return sigInvalid(err.Error())
	}
	return nil
}

var errCertExpired = errors.New("the signing certificate is expired or not yet valid")

// parseSealCert reads TPP-Signature-Certificate (base64 DER; a PEM is tolerated) and checks it
// chains to the bank's CA, is valid now and is a signing certificate (rule 10).
func (b *Bank) parseSealCert(v string) (*x509.Certificate, error) {
	v = strings.TrimSpace(v)
	now := b.now()
	if cert, ok := b.sealCache.Load(v); ok { // chain and key usage checked when first seen
		c := cert.(*x509.Certificate)
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return nil, errCertExpired
		}
		return c, nil
	}
	if strings.HasPrefix(v, "-----BEGIN") {
		return nil, errors.New("TPP-Signature-Certificate must be the base64 DER of the certificate, without PEM armour or newlines")
	}
	der, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, errors.New("TPP-Signature-Certificate is not base64")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, errors.New("TPP-Signature-Certificate is not a DER X.509 certificate")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: b.ca.pool(), CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
			return nil, errCertExpired
		}
		return nil, errors.New("TPP-Signature-Certificate was not issued by the bank's CA")
	}
	if cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 || slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return nil, errors.New("TPP-Signature-Certificate is not a signing certificate (QSealC); a transport certificate (QWAC) cannot sign")
	}
	if b.sealCacheN.Add(1) > 1024 { // bounded: start over rather than grow without end
		b.sealCache.Clear()
		b.sealCacheN.Store(0)
	}
	b.sealCache.Store(v, cert)
	return cert, nil
}

// redactSigningString hides the values of psu-id and psu-corporate-id (they identify a person).
func redactSigningString(ss string) string {
	lines := strings.Split(ss, "\n")
	for i, l := range lines {
		name, _, _ := strings.Cut(l, ": ")
		if name == "psu-id" || name == "psu-corporate-id" {
			lines[i] = name + ": [redacted]"
		}
	}
	return strings.Join(lines, "\n")
}

func expectedKeyID(seal *x509.Certificate, style sigcheck.KeyIDStyle) string {
	return sigcheck.ExpectedKeyID(serialHex(seal), issuerDN(seal), style)
}
