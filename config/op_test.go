package config

import (
	"slices"
	"strings"
	"testing"
)

// TestOPOwnAccounts: own_accounts lists the payer's other OP accounts (Finnish IBANs, at most 20);
// it is an OP setting only, and every refusal names the key.
func TestOPOwnAccounts(t *testing.T) {
	const good = "[[banks]]\nid = \"op\"\nname = \"OP Test Bank\"\nprovider = \"op\"\nredirect_uri = \"https://127.0.0.1:8443/op/back\"\n" +
		"account = \"FI49 5000 9420 0287 30\"\naccount_holder = \"Matti Meikäläinen\"\ncurrency = \"EUR\"\n"
	cfg := Default()
	if err := Parse([]byte(good+"own_accounts = [\"FI21 1234 5600 0007 85\", \"FI8679600000000012\"]\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	if b := cfg.AllBanks()[1]; !slices.Equal(b.OwnAccounts, []string{"FI21 1234 5600 0007 85", "FI8679600000000012"}) {
		t.Fatalf("parsed %+v", b.OwnAccounts)
	}
	many := strings.Repeat("\"FI8679600000000012\", ", 21)
	for in, want := range map[string]string{
		good + "own_accounts = [\"DE89370400440532013000\"]\n":  "banks[0].own_accounts: must list the IBANs of your own accounts at OP",
		good + "own_accounts = [\"FI21 1234 5600 0007 86\"]\n":  "banks[0].own_accounts",
		good + "own_accounts = [" + many + "]\n":                "banks[0].own_accounts: lists at most 20",
		"[bank]\nown_accounts = [\"FI21 1234 5600 0007 85\"]\n": "bank.own_accounts: is an OP setting",
	} {
		cfg := Default()
		if err := Parse([]byte(in), &cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want error mentioning %q, got %v", in, want, err)
		}
	}
}
