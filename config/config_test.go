package config

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestExampleFileEqualsDefaults(t *testing.T) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	var got Config
	if err := Parse(data, &got); err != nil {
		t.Fatalf("config.example.toml does not parse: %v", err)
	}
	want := Default()
	got.DataDir, want.DataDir = "", "" // the example shows the home-relative form
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("config.example.toml disagrees with Default():\n got %+v\nwant %+v", got, want)
	}
}

// Every setting must be documented in the example, so adding a field without a line there fails.
func TestExampleDocumentsEverySetting(t *testing.T) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	var walk func(reflect.Type, string)
	walk = func(rt reflect.Type, prefix string) {
		for i := 0; i < rt.NumField(); i++ {
			f := rt.Field(i)
			key := f.Tag.Get("toml")
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(Duration{}) {
				if !strings.Contains(string(data), "["+key+"]") {
					t.Errorf("section [%s] missing from config.example.toml", key)
				}
				walk(f.Type, key+".")
				continue
			}
			if f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct {
				if !strings.Contains(string(data), "[["+prefix+key+"]]") {
					t.Errorf("array of tables [[%s%s]] missing from config.example.toml", prefix, key)
				}
				continue
			}
			if !strings.Contains(string(data), "\n"+key+" = ") {
				t.Errorf("setting %s%s missing from config.example.toml", prefix, key)
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
}

// TestSandboxAccountHolders: [[sandbox.account_holders]] entries are checked, each refusal
// naming the entry and the key.
func TestSandboxAccountHolders(t *testing.T) {
	ok := "[[sandbox.account_holders]]\niban = \"AE07 0331 2345 6789 0123 456\"\nname = \"Noor Test\"\n"
	cfg := Default()
	cfg.DataDir = "/tmp/payterm-test"
	if err := Parse([]byte(ok), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil || len(cfg.Sandbox.AccountHolders) != 1 || cfg.Sandbox.AccountHolders[0].Name != "Noor Test" {
		t.Fatalf("%+v %v", cfg.Sandbox.AccountHolders, err)
	}
	for in, want := range map[string]string{
		"[[sandbox.account_holders]]\niban = \"AE07 0331 2345 6789 0123 457\"\nname = \"Noor\"\n":   "sandbox.account_holders[0].iban",
		"[[sandbox.account_holders]]\niban = \"DE89370400440532013000\"\nname = \"Noor\"\n":         "sandbox.account_holders[0].iban",
		"[[sandbox.account_holders]]\niban = \"AE070331234567890123456\"\nname = \"\"\n":            "sandbox.account_holders[0].name",
		"[[sandbox.account_holders]]\niban = \"AE070331234567890123456\"\nname = \"N\\u202eoor\"\n": "sandbox.account_holders[0].name",
	} {
		cfg := Default()
		cfg.DataDir = "/tmp/payterm-test"
		err := Parse([]byte(in), &cfg)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error naming %s", in, err, want)
		}
	}
}

func TestUnknownKeyRejected(t *testing.T) {
	cfg := Default()
	err := Parse([]byte("[limits]\nper_dya = \"1.00\"\n"), &cfg)
	if err == nil || !strings.Contains(err.Error(), "limits.per_dya") {
		t.Fatalf("want unknown-setting error naming limits.per_dya, got %v", err)
	}
}

func TestValidationNamesTheSetting(t *testing.T) {
	cases := map[string]string{
		"[bank]\nmode = \"live\"\n":                          "bank.mode",
		"[bank]\nmode = \"remote\"\n":                        "bank.client_id",
		"[bank]\nredirect_uri = \"http://example.com/cb\"\n": "bank.redirect_uri",
		"[bank]\nredirect_uri = \"myapp://cb\"\n":            "bank.redirect_uri",
		"[bank]\nredirect_tls_cert_file = \"/c.pem\"\n":      "bank.redirect_tls_cert_file",
		"[bank]\nredirect_uri = \"https://127.0.0.1/cb\"\nredirect_tls_cert_file = \"/c.pem\"\nredirect_tls_key_file = \"/k.pem\"\n":           "fixed port",
		"[bank]\nredirect_uri = \"https://wallet.example:8443/cb\"\nredirect_tls_cert_file = \"/c.pem\"\nredirect_tls_key_file = \"/k.pem\"\n": "on this machine",
		"[bank]\nredirect_tls_cert_file = \"/c.pem\"\nredirect_tls_key_file = \"/k.pem\"\n":                                                    "only an https redirect_uri",
		"[bank]\ncustomer_ip_address = \"localhost\"\n":                                                                                        "bank.customer_ip_address",
		"[bank]\ndefault_purpose_code = \"tof\"\n":                                                                                             "bank.default_purpose_code",
		"[limits]\nper_day = \"100\"\n":                                                                                                        "limits.per_day",
		"[limits]\nper_day = \"-1.00\"\n":                                                                                                      "limits.per_day",
		"[limits]\nper_payment = \"0.00\"\n":                                                                                                   "limits.per_payment",
		"[limits]\nper_day_count = -1\n":                                                                                                       "limits.per_day_count",
		"[security]\nidle_lock = \"10m\"\n":                                                                                                    "security.idle_lock",
		"[security]\nidle_lock = \"soon\"\n":                                                                                                   "idle_lock",
		"[security]\nsecret_store = \"plaintext\"\n":                                                                                           "security.secret_store",
		"[sandbox]\nsettle_after = \"5s\"\ncredit_after = \"1s\"\n":                                                                            "sandbox.credit_after",
		"[sandbox]\nclock_leeway = \"0s\"\n":                                                                                                   "sandbox.clock_leeway",
		"[sandbox]\nsca_max_age = \"2h\"\n":                                                                                                    "sandbox.sca_max_age",
		"data_dir = \"relative/dir\"\n":                                                                                                        "data_dir",
		"[bank\n":                                                                                                                              "not valid TOML",
		"[bank]\nid = \"Main Bank\"\n":                                                                                                         "bank.id",
		"[[banks]]\nname = \"Second\"\n":                                                                                                       "banks[0].id",
		"[[banks]]\nid = \"two\"\n":                                                                                                            "banks[0].name",
		"[[banks]]\nid = \"sandbox\"\nname = \"Second\"\n":                                                                                     "banks[0].id",
		"[[banks]]\nid = \"two\"\nname = \"PAYTERM sandbox bank\"\n":                                                                           "banks[0].name",
		"[[banks]]\nid = \"two\"\nname = \"B\"\nmode = \"remote\"\n":                                                                           "banks[0].issuer",
		"[[banks]]\nid = \"-x\"\nname = \"B\"\n":                                                                                               "banks[0].id",
		"[bank]\nresponse_issuer = \" https://rs1.lfi.example\"\n":                                                                             "bank.response_issuer",
		"[pkcs11]\npin_source = \"123456\"\n":                                                                                                  "pkcs11.pin_source:",
		"[pkcs11]\npin_source = \"env:\"\n":                                                                                                    "pkcs11.pin_source:",
		"[pkcs11]\npin_source = \"file:pin.txt\"\n":                                                                                            "pkcs11.pin_source:",
		"[pkcs11]\ntoken_label = \"t\"\n":                                                                                                      "pkcs11.module:",
		"[pkcs11]\nmodule = \"libsofthsm2.so\"\ntoken_label = \"t\"\n":                                                                         "pkcs11.module:",
		"[pkcs11]\nmodule = \"/m.so\"\n":                                                                                                       "pkcs11.token_label:",
		"[pkcs11]\nmodule = \"/m.so\"\ntoken_label = \"t\"\ntoken_serial = \"1\"\n":                                                            "pkcs11.token_label:",
		"[bank]\npkcs11_signing_key_label = \"k\"\n":                                                                                           "bank.pkcs11_signing_key_label:",
		"[pkcs11]\nmodule = \"/m.so\"\ntoken_label = \"t\"\n[bank]\npkcs11_transport_key_id = \"zz\"\n":                                        "bank.pkcs11_transport_key_id:",
		"[pkcs11]\nmodule = \"/m.so\"\ntoken_label = \"t\"\n[bank]\nsigning_key_file = \"/k.pem\"\n":                                           "bank.signing_key_file:",
		"[pkcs11]\nmodule = \"/m.so\"\ntoken_label = \"t\"\n[[banks]]\nid = \"b\"\nname = \"B\"\ntransport_key_file = \"/k.pem\"\n": "banks[0].transport_key_file:",
	}
	for in, want := range cases {
		cfg := Default()
		err := Parse([]byte(in), &cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want error mentioning %q, got %v", in, want, err)
		}
	}
}

func TestEmptySandboxAccountAllowed(t *testing.T) {
	cfg := Default()
	if err := Parse([]byte("[sandbox]\ndebtor_balance = \"0.00\"\n"), &cfg); err != nil {
		t.Fatalf("a zero sandbox balance is a valid test bank: %v", err)
	}
}

func TestRemoteConfigAccepted(t *testing.T) {
	cfg := Default()
	in := `[bank]
id = "lfi1"
mode = "remote"
discovery_url = "https://auth1.lfi.example/.well-known/openid-configuration"
issuer = "https://auth1.lfi.example"
resource_base_url = "https://rs1.lfi.example/open-finance/payment/v2.1"
client_id = "c1"
signing_kid = "k1"
signing_key_file = "/keys/sig.pem"
transport_cert_file = "/keys/t.pem"
transport_key_file = "/keys/t.key"
redirect_uri = "https://tpp.example/cb"
`
	if err := Parse([]byte(in), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Bank.DiscoveryURL = "http://auth1.lfi.example/.well-known/openid-configuration"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "bank.discovery_url") {
		t.Fatalf("plain-http discovery must be refused, got %v", err)
	}
}

// TestSeveralBanks: [[banks]] entries take [bank]'s defaults for what they leave out, and
// AllBanks lists [bank] first with its empty id resolved.
func TestSeveralBanks(t *testing.T) {
	cfg := Default()
	in := `[[banks]]
id = "second"
name = "Second Bank"

[[banks]]
id = "third-1"
name = "Third Bank"
default_purpose_code = "EDU"
`
	if err := Parse([]byte(in), &cfg); err != nil {
		t.Fatal(err)
	}
	all := cfg.AllBanks()
	if len(all) != 3 || all[0].ID != DefaultSandboxID || all[1].ID != "second" || all[2].ID != "third-1" {
		t.Fatalf("AllBanks = %+v", all)
	}
	def := Default().Bank
	if all[1].Mode != ModeSandbox || all[1].RedirectURI != def.RedirectURI || all[1].CustomerIPAddress != def.CustomerIPAddress ||
		all[1].DefaultPurposeCode != def.DefaultPurposeCode || all[2].DefaultPurposeCode != "EDU" {
		t.Fatalf("defaults not filled: %+v", all[1:])
	}
	if cfg.Bank.ID != "" {
		t.Fatal("AllBanks must not change the config it reads")
	}
}

// TestRemoteBankWithKeysInToken: with [pkcs11] a remote bank needs no key files (the keys are
// in the token) but still its certificate; the PIN is never a config value.
func TestRemoteBankWithKeysInToken(t *testing.T) {
	in := `[pkcs11]
module = "/usr/lib/softhsm/libsofthsm2.so"
token_label = "payterm"
pin_source = "env:PAYTERM_PKCS11_PIN"

[bank]
id = "lfi1"
mode = "remote"
discovery_url = "https://auth1.lfi.example/.well-known/openid-configuration"
issuer = "https://auth1.lfi.example"
resource_base_url = "https://rs1.lfi.example/open-finance/payment/v2.1"
client_id = "c1"
signing_kid = "k1"
transport_cert_file = "/keys/t.pem"
pkcs11_signing_key_label = "tf-signing"
pkcs11_transport_key_id = "a1:b2"
redirect_uri = "https://tpp.example/cb"
`
	cfg := Default()
	if err := Parse([]byte(in), &cfg); err != nil {
		t.Fatal(err)
	}
	if !cfg.PKCS11.Enabled() || cfg.Bank.PKCS11SigningKeyLabel != "tf-signing" || cfg.Bank.PKCS11TransportKeyID != "a1:b2" {
		t.Fatalf("parsed %+v %+v", cfg.PKCS11, cfg.Bank)
	}
	cfg.Bank.TransportCertFile = ""
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "bank.transport_cert_file") {
		t.Fatalf("the transport certificate stays required: %v", err)
	}
	noToken := Default()
	err := Parse([]byte(strings.Replace(in, "module = \"/usr/lib/softhsm/libsofthsm2.so\"\ntoken_label = \"payterm\"\n", "", 1)), &noToken)
	if err == nil || !strings.Contains(err.Error(), "bank.signing_key_file") || !strings.Contains(err.Error(), "bank.pkcs11_signing_key_label") {
		t.Fatalf("without a token the key files are required and the token settings refused: %v", err)
	}
	home := Default()
	home.PKCS11.PINSource = "file:~/hsm.pin"
	if got := home.PKCS11.ResolvedPINSource(); !strings.HasPrefix(got, "file:/") || !strings.HasSuffix(got, "/hsm.pin") {
		t.Fatalf("~/ not expanded: %q", got)
	}
}

func TestLoadMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.toml")
	if _, err := Load(missing, false); err != nil {
		t.Fatalf("a missing default file means defaults, got %v", err)
	}
	if _, err := Load(missing, true); err == nil {
		t.Fatal("a missing file named with --config must be an error")
	}
}

// FuzzParse: any file Parse accepts never panics and describes a config that writes back to
// TOML and parses again to the same settings (Parse already ran Validate on it, so checking
// Validate again could not fail).
func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("../config.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("[limits]\nper_day = \"1.00\"\n"))
	f.Add([]byte("[[banks]]\nid = \"b2\"\nname = \"Two\"\n[[banks]]\nid = \"b3\"\nname = \"Three\"\nmode = \"sandbox\"\n"))
	f.Add([]byte("[security]\nidle_lock = \"1m30.5s\"\n[bank]\nname = \"Bank \\u00e9 \\\"q\\\"\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := Default()
		if err := Parse(data, &cfg); err != nil {
			return
		}
		var buf bytes.Buffer
		if err := toml.NewEncoder(&buf).Encode(cfg); err != nil {
			t.Fatalf("an accepted config does not encode: %v", err)
		}
		var back Config
		if err := Parse(buf.Bytes(), &back); err != nil {
			t.Fatalf("an accepted config, written back, is refused: %v\n%s", err, buf.String())
		}
		if !reflect.DeepEqual(back, cfg) {
			t.Fatalf("an accepted config changes when written back:\n got %+v\nwant %+v", back, cfg)
		}
	})
}

// TestBerlinGroupBank: a [[banks]] entry with provider = "berlin-group" is the embedded XS2A
// bank with the payer's account; every setting it needs is checked with the key named, UAE-only
// settings are refused on it, and Berlin Group settings are refused on a UAE bank.
func TestBerlinGroupBank(t *testing.T) {
	const good = "[[banks]]\nid = \"berlin\"\nname = \"Berlin Test Bank\"\nprovider = \"berlin-group\"\nprofile = \"bg\"\n" +
		"account = \"DE40 1001 0010 3307 1186 08\"\naccount_holder = \"Erika Mustermann\"\ncurrency = \"EUR\"\n"
	cfg := Default()
	if err := Parse([]byte(good), &cfg); err != nil {
		t.Fatalf("the documented Berlin Group bank: %v", err)
	}
	if b := cfg.AllBanks()[1]; b.Provider != ProviderBerlinGroup || b.Mode != ModeSandbox || b.Profile != ProfileBG {
		t.Fatalf("parsed %+v", b)
	}
	if cfg.AllBanks()[0].Provider != ProviderUAE {
		t.Fatalf("[bank] defaults to %q", cfg.AllBanks()[0].Provider)
	}
	cases := map[string]string{
		good + "mode = \"remote\"\n":                                           "banks[0].mode: \"remote\" is not supported yet",
		strings.Replace(good, "\"bg\"", "\"sb1\"", 1):                          "banks[0].account: must be your Norwegian account at SpareBank 1",
		strings.Replace(good, "\"bg\"", "\"xx\"", 1):                           "banks[0].profile",
		strings.Replace(good, "profile = \"bg\"\n", "", 1):                     "banks[0].profile: is required",
		strings.Replace(good, "3307 1186 08", "3307 1186 09", 1):               "banks[0].account",
		strings.Replace(good, "Erika Mustermann", "", 1):                       "banks[0].account_holder",
		strings.Replace(good, "Erika Mustermann", "Erika \u202eMustermann", 1): "banks[0].account_holder",
		strings.Replace(good, "\"EUR\"", "\"eur\"", 1):                         "banks[0].currency",
		good + "sca_approach = \"embedded\"\n":                                 "banks[0].psu_id: is required",
		good + "sca_approach = \"push\"\n":                                     "banks[0].sca_approach",
		good + "psu_id = \"a\\u001b[2J\"\n":                                    "banks[0].psu_id",
		good + "discovery_url = \"https://x.example\"\n":                       "banks[0].discovery_url: is a UAE setting",
		good + "customer_ip_address = \"::1\"\n":                               "banks[0].customer_ip_address",
		good + "redirect_uri = \"http://evil.example/cb\"\n":                   "banks[0].redirect_uri",
		strings.Replace(good, "berlin-group", "psd2", 1):                       "banks[0].provider",
		"[bank]\nprovider = \"berlin-group\"\n":                                "bank.provider: [bank] is the UAE bank",
		"[bank]\naccount = \"DE40 1001 0010 3307 1186 08\"\n":                  "bank.account: is a Berlin Group setting",
	}
	for in, want := range cases {
		cfg := Default()
		err := Parse([]byte(in), &cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want error mentioning %q, got %v", in, want, err)
		}
	}
}

// TestSpareBank1Bank: profile = "sb1" is SpareBank 1 on the embedded XS2A bank: the account is
// the payer's Norwegian account number (mod-11 checked) or its NO IBAN, in one of the currencies
// its products pay from; its BankID page is the only approach, and psu_id is refused (the
// bank's login gives it). Every refusal names the key.
func TestSpareBank1Bank(t *testing.T) {
	const good = "[[banks]]\nid = \"sb1\"\nname = \"SpareBank 1\"\nprovider = \"berlin-group\"\nprofile = \"sb1\"\n" +
		"account = \"8601 1117 947\"\naccount_holder = \"Kari Nordmann\"\ncurrency = \"NOK\"\n"
	for _, in := range []string{good, strings.Replace(good, "8601 1117 947", "NO93 8601 1117 947", 1),
		strings.Replace(good, "\"NOK\"", "\"EUR\"", 1), good + "sca_approach = \"redirect\"\n"} {
		cfg := Default()
		if err := Parse([]byte(in), &cfg); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if b := cfg.AllBanks()[1]; b.Profile != ProfileSB1 || b.Provider != ProviderBerlinGroup || b.Account != "8601 1117 947" && b.Account != "NO93 8601 1117 947" {
			t.Fatalf("parsed %+v", b)
		}
	}
	cases := map[string]string{
		strings.Replace(good, "8601 1117 947", "8601 1117 948", 1):               "banks[0].account: must be your account number at SpareBank 1",
		strings.Replace(good, "8601 1117 947", "8601.11.17947", 1):               "banks[0].account",
		strings.Replace(good, "8601 1117 947", "DE40 1001 0010 3307 1186 08", 1): "banks[0].account: must be your Norwegian account",
		strings.Replace(good, "8601 1117 947", "NO93 8601 1117 948", 1):          "banks[0].account",
		strings.Replace(good, "\"NOK\"", "\"GEL\"", 1):                           "banks[0].currency: must be the currency of your SpareBank 1 account",
		strings.Replace(good, "\"NOK\"", "\"nok\"", 1):                           "banks[0].currency",
		good + "sca_approach = \"decoupled\"\n":                                  "banks[0].sca_approach: must be \"redirect\" or empty at SpareBank 1",
		good + "sca_approach = \"embedded\"\n":                                   "banks[0].sca_approach",
		good + "psu_id = \"01017012345\"\n":                                      "banks[0].psu_id: is not set for SpareBank 1",
		good + "redirect_uri = \"http://evil.example/cb\"\n":                     "banks[0].redirect_uri",
		good + "client_id = \"x\"\n":                                             "banks[0].client_id: is a UAE setting",
	}
	for in, want := range cases {
		cfg := Default()
		err := Parse([]byte(in), &cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want error mentioning %q, got %v", in, want, err)
		}
	}
}

// TestOPExemptionSetting: exemption is "on" (the default when empty) or "off", at an OP bank
// only.
func TestOPExemptionSetting(t *testing.T) {
	op := "[[banks]]\nid = \"op\"\nname = \"OP\"\nprovider = \"op\"\nredirect_uri = \"https://127.0.0.1:8443/op/back\"\n" +
		"account = \"FI49 5000 9420 0287 30\"\naccount_holder = \"Matti\"\ncurrency = \"EUR\"\n"
	for in, on := range map[string]bool{"": true, "exemption = \"on\"\n": true, "exemption = \"off\"\n": false} {
		cfg := Default()
		cfg.DataDir = "/tmp/payterm-test"
		if err := Parse([]byte(op+in), &cfg); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := cfg.Banks[len(cfg.Banks)-1].ExemptionOn(); got != on {
			t.Fatalf("%q: ExemptionOn %v", in, got)
		}
	}
	for _, in := range []string{op + "exemption = \"true\"\n", "[bank]\nexemption = \"on\"\n"} {
		cfg := Default()
		cfg.DataDir = "/tmp/payterm-test"
		if err := Parse([]byte(in), &cfg); err == nil || !strings.Contains(err.Error(), "exemption") {
			t.Fatalf("%q: %v", in, err)
		}
	}
}
