package iban

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The registry's own example of each country ("IBAN electronic format example", Release 100).
var registryExamples = []string{
	"AD1200012030200359100100",
	"AE070331234567890123456",
	"AL47212110090000000235698741",
	"AT611904300234573201",
	"AZ21NABZ00000000137010001944",
	"BA391290079401028494",
	"BE68539007547034",
	"BG80BNBG96611020345678",
	"BH67BMAG00001299123456",
	"BI4210000100010000332045181",
	"BR1800360305000010009795493C1",
	"BY13NBRB3600900000002Z00AB00",
	"CH9300762011623852957",
	"CR05015202001026284066",
	"CY17002001280000001200527600",
	"CZ6508000000192000145399",
	"DE89370400440532013000",
	"DJ2100010000000154000100186",
	"DK5000400440116243",
	"DO28BAGR00000001212453611324",
	"EE382200221020145685",
	"EG380019000500000000263180002",
	"ES9121000418450200051332",
	"FI2112345600000785",
	"FK88SC123456789012",
	"FO6264600001631634",
	"FR1420041010050500013M02606",
	"GB29NWBK60161331926819",
	"GE29NB0000000101904917",
	"GI75NWBK000000007099453",
	"GL8964710001000206",
	"GR1601101250000000012300695",
	"GT82TRAJ01020000001210029690",
	"HN88CABF00000000000250005469",
	"HR1210010051863000160",
	"HU42117730161111101800000000",
	"IE29AIBK93115212345678",
	"IL620108000000099999999",
	"IQ98NBIQ850123456789012",
	"IS140159260076545510730339",
	"IT60X0542811101000000123456",
	"JO94CBJO0010000000000131000302",
	"KW81CBKU0000000000001234560101",
	"KZ86125KZT5004100100",
	"LB62099900000001001901229114",
	"LC55HEMM000100010012001200023015",
	"LI21088100002324013AA",
	"LT121000011101001000",
	"LU280019400644750000",
	"LV80BANK0000435195001",
	"LY83002048000020100120361",
	"MC5811222000010123456789030",
	"MD24AG000225100013104168",
	"ME25505000012345678951",
	"MK07250120000058984",
	"MN121234123456789123",
	"MR1300020001010000123456753",
	"MT84MALT011000012345MTLCAST001S",
	"MU17BOMM0101101030300200000MUR",
	"NI45BAPR00000013000003558124",
	"NL91ABNA0417164300",
	"NO9386011117947",
	"OM810180000001299123456",
	"PK36SCBL0000001123456702",
	"PL61109010140000071219812874",
	"PS92PALS000000000400123456702",
	"PT50000201231234567890154",
	"QA58DOHB00001234567890ABCDEFG",
	"RO49AAAA1B31007593840000",
	"RS35260005601001611379",
	"RU0304452522540817810538091310419",
	"SA0380000000608010167519",
	"SC18SSCB11010000000000001497USD",
	"SD2129010501234001",
	"SE4550000000058398257466",
	"SI56263300012039086",
	"SK3112000000198742637541",
	"SM86U0322509800000000270100",
	"SO211000001001000100141",
	"ST23000100010051845310146",
	"SV62CENR00000000000000700025",
	"TL380080012345678910157",
	"TN5910006035183598478831",
	"TR330006100519786457841326",
	"UA213223130000026007233566001",
	"VA59001123000012345678",
	"VG96VPVG0000012345678901",
	"XK051212012345678906",
	"YE15CBYE0001018861234567891234",
}

func TestParseRegistryExamples(t *testing.T) {
	if len(registryExamples) != len(lengths) {
		t.Fatalf("%d examples for %d countries", len(registryExamples), len(lengths))
	}
	seen := map[string]bool{}
	for _, ex := range registryExamples {
		got, err := Parse(ex)
		if err != nil || string(got) != ex {
			t.Errorf("Parse(%s) = %q, %v", ex, got, err)
		}
		seen[ex[:2]] = true
		// The paper form parses to the same value.
		if got, err := Parse(IBAN(ex).Print()); err != nil || string(got) != ex {
			t.Errorf("Parse(print form of %s) = %q, %v", ex, got, err)
		}
	}
	for c := range lengths {
		if !seen[c] {
			t.Errorf("no example for %s", c)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		in     string
		reason Reason
	}{
		{"", Empty},
		{"   ", Empty},
		{"de89370400440532013000", BadChar},        // lower case is not rewritten
		{"DE89-3704-0044-0532-0130-00", BadChar},   // nor are dashes
		{"DE89\u00a03704004405320130 00", BadChar}, // nor a no-break space
		{"DE89370400440532013000\n", BadChar},
		{"XX89370400440532013000", NoCountry},
		{"GF1420041010050500013M02606", NoCountry}, // a territory uses its parent's prefix
		{"D", NoCountry},
		{"DE8937040044053201300", BadLength},
		{"DE893704004405320130000", BadLength},
		{"DE88370400440532013000", BadCheck},
		{"DEAB370400440532013000", BadCheck},
		{"NO9386011117948", BadCheck},
	} {
		_, err := Parse(tc.in)
		var e *Error
		if !errors.As(err, &e) || e.Reason != tc.reason || !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want reason %d", tc.in, err, tc.reason)
			continue
		}
		// One sentence with a next step, and never the input.
		msg := err.Error()
		if strings.Contains(msg, "370400440532013000") || !strings.Contains(msg, ": ") {
			t.Errorf("Parse(%q) error %q quotes the input or has no next step", tc.in, msg)
		}
	}
	var e *Error
	_, err := Parse("DE8937040044053201300")
	if errors.As(err, &e) && (e.Want != 22 || e.Got != 21 || e.Country != "DE") {
		t.Errorf("length error %+v", e)
	}
}

func TestIBANMethods(t *testing.T) {
	i, err := Parse("GB29 NWBK 6016 1331 9268 19")
	if err != nil {
		t.Fatal(err)
	}
	if i.Country() != "GB" || i.BBAN() != "NWBK60161331926819" || i.Print() != "GB29 NWBK 6016 1331 9268 19" {
		t.Errorf("%s %s %s", i.Country(), i.BBAN(), i.Print())
	}
	if v := i.LogValue().String(); strings.Contains(v, "NWBK6016") || !strings.HasSuffix(v, "6819") {
		t.Errorf("LogValue %q", v)
	}
	if n, ok := Length("NO"); !ok || n != 15 {
		t.Errorf("Length(NO) = %d, %v", n, ok)
	}
}

func TestParseNorwegianBBAN(t *testing.T) {
	for in, want := range map[string]string{
		"86011117947":   "86011117947", // the BBAN of the registry's NO example
		"8601 11 17947": "86011117947",
		// 1·5+2·4+3·3+4·2+5·7+6·6+7·5+8·4+9·3+0·2 = 195; 195 mod 11 = 8; 11-8 = 3.
		"12345678903": "12345678903",
	} {
		if got, err := ParseNorwegianBBAN(in); err != nil || got != want {
			t.Errorf("ParseNorwegianBBAN(%q) = %q, %v", in, got, err)
		}
	}
	// A number whose weighted sum is divisible by 11 takes the check digit 0.
	if _, err := ParseNorwegianBBAN("00000000000"); err != nil {
		t.Errorf("all zeros: %v", err)
	}
	// 1000000000x: sum 5, 5 mod 11 = 5, check 6; and 0000000001x: sum 2, check 9.
	if _, err := ParseNorwegianBBAN("10000000006"); err != nil {
		t.Errorf("check 6: %v", err)
	}
	// 0000000006x: sum 12, remainder 1: no valid check digit exists.
	for d := '0'; d <= '9'; d++ {
		if _, err := ParseNorwegianBBAN("0000000006" + string(d)); err == nil {
			t.Errorf("remainder 1 accepted with check digit %c", d)
		}
	}
	for _, bad := range []string{"", "8601.11.17947", "8601111794", "860111179470", "86011117948", "86011117a47"} {
		if _, err := ParseNorwegianBBAN(bad); !errors.Is(err, ErrNorwegianAccount) {
			t.Errorf("ParseNorwegianBBAN(%q) = %v", bad, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, ex := range registryExamples[:10] {
		f.Add(ex)
	}
	f.Add("GB29 NWBK 6016 1331 9268 19")
	f.Add("de89370400440532013000")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
			return
		}
		// Accepted: exactly the input without its spaces, a registry country and length,
		// upper-case alphanumerics, and mod-97.
		if string(got) != strings.ReplaceAll(s, " ", "") {
			t.Fatalf("Parse(%q) rewrote more than spaces: %q", s, got)
		}
		if n, ok := lengths[got.Country()]; !ok || n != len(got) || !ChecksumOK(string(got)) {
			t.Fatalf("Parse(%q) accepted %q", s, got)
		}
		// The print form round-trips.
		if again, err := Parse(got.Print()); err != nil || again != got {
			t.Fatalf("print form of %q: %q, %v", got, again, err)
		}
	})
}

func FuzzParseNorwegianBBAN(f *testing.F) {
	f.Add("86011117947")
	f.Add("8601 11 17947")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseNorwegianBBAN(s)
		if err != nil {
			return
		}
		if got != strings.ReplaceAll(s, " ", "") || len(got) != 11 {
			t.Fatalf("ParseNorwegianBBAN(%q) = %q", s, got)
		}
		// A Norwegian IBAN built from it passes the generic checks: NO + check digits + BBAN.
		for cd := 2; cd <= 98; cd++ {
			cand := "NO" + string(rune('0'+cd/10)) + string(rune('0'+cd%10)) + got
			if ChecksumOK(cand) {
				if _, err := Parse(cand); err != nil {
					t.Fatalf("NO IBAN for an accepted BBAN refused: %v", err)
				}
				return
			}
		}
		t.Fatalf("no check digits make NO%s valid", got)
	})
}

// TestNorwegianIBAN: the registry's NO example comes back from its BBAN, every valid BBAN
// round-trips through its IBAN, and an invalid account number is refused, not converted.
func TestNorwegianIBAN(t *testing.T) {
	got, err := NorwegianIBAN("8601 1117 947")
	if err != nil || got != "NO9386011117947" {
		t.Fatalf("NorwegianIBAN(8601 1117 947) = %q, %v; want NO9386011117947", got, err)
	}
	for _, bban := range []string{"12345678903", "86011117947", "00000000000"} {
		i, err := NorwegianIBAN(bban)
		if err != nil || i.BBAN() != bban || i.Country() != "NO" {
			t.Errorf("NorwegianIBAN(%s) = %q, %v", bban, i, err)
		}
	}
	for _, bad := range []string{"86011117948", "8601.11.17947", "", "NO9386011117947"} {
		if i, err := NorwegianIBAN(bad); err == nil || !errors.Is(err, ErrNorwegianAccount) {
			t.Errorf("NorwegianIBAN(%q) = %q, %v; want ErrNorwegianAccount", bad, i, err)
		}
	}
}

// FuzzNorwegianIBAN: NorwegianIBAN takes exactly what ParseNorwegianBBAN takes, and what it
// returns is a valid NO IBAN holding that account number, found by brute force over every
// check-digit pair (an oracle that shares nothing with the MOD 97-10 arithmetic it checks).
func FuzzNorwegianIBAN(f *testing.F) {
	for _, s := range []string{"86011117947", "8601 1117 947", "12345678903", "86011117948", "NO9386011117947", "", "0000000000 0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NorwegianIBAN(s)
		bban, berr := ParseNorwegianBBAN(s)
		if (err == nil) != (berr == nil) {
			t.Fatalf("NorwegianIBAN(%q) err %v, ParseNorwegianBBAN err %v", s, err, berr)
		}
		if err != nil {
			return
		}
		if got.Country() != "NO" || got.BBAN() != bban {
			t.Fatalf("NorwegianIBAN(%q) = %q", s, got)
		}
		valid := 0
		for cd := 2; cd <= 98; cd++ { // ISO 7064 MOD 97-10 check digits are 02..98 (99 ≡ 02)
			if ChecksumOK(fmt.Sprintf("NO%02d%s", cd, bban)) {
				valid++
				if want := fmt.Sprintf("NO%02d%s", cd, bban); want != string(got) {
					t.Fatalf("NorwegianIBAN(%q) = %q, the valid one is %q", s, got, want)
				}
			}
		}
		if valid != 1 {
			t.Fatalf("%d check-digit pairs make NO…%s valid", valid, bban)
		}
	})
}
