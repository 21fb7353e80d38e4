package httpsig

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
)

// DNEncoding says how the issuer DN is written inside a keyId.
type DNEncoding int

const (
	// DNPercent20 is RFC 2253 with every space written "%20", as adorsys's verifier (and the
	// BG OpenAPI example CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE) expects.
	DNPercent20 DNEncoding = iota
	// DNRaw is RFC 2253 as it is (SpareBank 1, inside the RFC 2047 wrapping).
	DNRaw
)

// KeyIDStyle is the per-bank spelling of a certificate keyId.
type KeyIDStyle struct {
	UpperHex bool // serial in upper-case hex (the BG example SN=9FA1); adorsys compares lower case
	DN       DNEncoding
}

// CertKeyID formats "SN=<serial in hex, no leading zeros>,CA=<issuer DN in RFC 2253>" for cert.
//
// The DN is written as Java's X500Principal.getName(RFC2253) writes it, because the verifiers
// banks run are Java (adorsys): RDNs last-first, multi-valued RDNs joined with "+", the
// keywords CN, C, L, ST, O, OU, STREET, DC and UID, and every other attribute as its dotted
// OID followed by "=#" and the lower-case hex of its DER encoding as it is in the certificate
// (so organizationIdentifier 2.5.4.97 keeps its UTF8String tag: "2.5.4.97=#0c…").
func CertKeyID(cert *x509.Certificate, st KeyIDStyle) (string, error) {
	if cert == nil || cert.SerialNumber == nil {
		return "", errors.New("keyId: no certificate")
	}
	if cert.SerialNumber.Sign() < 0 {
		return "", errors.New("keyId: negative certificate serial number")
	}
	sn := cert.SerialNumber.Text(16)
	if st.UpperHex {
		sn = strings.ToUpper(sn)
	}
	dn, err := IssuerRFC2253(cert.RawIssuer)
	if err != nil {
		return "", fmt.Errorf("keyId: %w", err)
	}
	if st.DN == DNPercent20 {
		dn = strings.ReplaceAll(dn, " ", "%20")
	}
	id := "SN=" + sn + ",CA=" + dn
	if err := checkKeyID(id); err != nil {
		return "", err
	}
	return id, nil
}

type attributeTypeAndValue struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rdnSET is one RelativeDistinguishedName (encoding/asn1 reads a slice type whose name ends
// in SET as a SET OF).
type rdnSET []attributeTypeAndValue

var rfc2253Keywords = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.9":                    "STREET",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
}

// IssuerRFC2253 writes a DER Name (cert.RawIssuer) as RFC 2253 text, Java-style (see CertKeyID).
func IssuerRFC2253(rawName []byte) (string, error) {
	var rdns []rdnSET
	rest, err := asn1.Unmarshal(rawName, &rdns)
	if err != nil || len(rest) != 0 {
		return "", errors.New("issuer name is not a DER Name")
	}
	parts := make([]string, 0, len(rdns))
	for i := len(rdns) - 1; i >= 0; i-- {
		var avas []string
		for _, atv := range rdns[i] {
			s, err := formatATV(atv)
			if err != nil {
				return "", err
			}
			avas = append(avas, s)
		}
		parts = append(parts, strings.Join(avas, "+"))
	}
	return strings.Join(parts, ","), nil
}

func formatATV(atv attributeTypeAndValue) (string, error) {
	oid := atv.Type.String()
	kw, ok := rfc2253Keywords[oid]
	if ok {
		if s, ok := decodeDirectoryString(atv.Value); ok {
			return kw + "=" + escapeRFC2253(s), nil
		}
	}
	return oid + "=#" + hex.EncodeToString(atv.Value.FullBytes), nil
}

// decodeDirectoryString reads the string types a DN uses; false for anything else (which is
// then written in the #hex form, as Java does).
func decodeDirectoryString(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal {
		return "", false
	}
	switch v.Tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String:
		return string(v.Bytes), true
	case asn1.TagT61String: // read as Latin-1, as Java does
		r := make([]rune, len(v.Bytes))
		for i, c := range v.Bytes {
			r[i] = rune(c)
		}
		return string(r), true
	case asn1.TagBMPString:
		if len(v.Bytes)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), true
	}
	return "", false
}

// escapeRFC2253 escapes per RFC 2253 §2.4: , + " \ < > ; anywhere, # at the start, a space at
// either end.
func escapeRFC2253(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(`,+"\<>;`, r),
			i == 0 && (r == '#' || r == ' '),
			i == len(s)-1 && r == ' ':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
