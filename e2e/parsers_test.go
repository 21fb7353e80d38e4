package e2e

import (
	"encoding/base64"
	"strings"
	"testing"
)

// secret-tool 0.20 output for two items, as captured on Debian 12.
const (
	secretToolStdout = "[/1]\nlabel = x\nsecret = s1\ncreated = 2026-11-22 01:58:19\nmodified = 2026-11-22 01:58:19\nschema = org.freedesktop.Secret.Generic\n[/2]\nlabel = y\nsecret = s2\ncreated = 2026-11-22 01:58:19\nmodified = 2026-11-22 01:58:19\n"
	secretToolStderr = "attribute.service = t\nattribute.username = u1\nattribute.service = t\nattribute.username = u2\n"
)

func TestParseSecretToolSearch(t *testing.T) {
	items, err := parseSecretToolSearch([]byte(secretToolStdout), []byte(secretToolStderr))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Secret != "s1" || items[0].Attrs["username"] != "u1" || items[1].Secret != "s2" || items[1].Attrs["username"] != "u2" {
		t.Fatalf("parsed %+v", items)
	}
	if _, err := parseSecretToolSearch([]byte(secretToolStdout), []byte("attribute.service = t\n")); err == nil {
		t.Fatal("two items with one attribute block must not pair up silently")
	}
	if items, err := parseSecretToolSearch(nil, nil); err != nil || len(items) != 0 {
		t.Fatalf("empty output: %v %v", items, err)
	}
}

func TestDecodeInlineKeystoreValue(t *testing.T) {
	v, ok := decodeInlineKeystoreValue("ptks1:i:c3Vt:" + base64.StdEncoding.EncodeToString([]byte("token")))
	if !ok || string(v) != "token" {
		t.Fatalf("decoded %q %v", v, ok)
	}
	for _, bad := range []string{"", "ptks1:c:gen:2:10:sum", "ptks1:i:nosecondcolon", "ptks1:i:s:!!!", "other:i:s:dG9r"} {
		if _, ok := decodeInlineKeystoreValue(bad); ok {
			t.Errorf("%q decoded", bad)
		}
	}
}

// FuzzParseSecretToolSearch: any tool output is parsed without a panic, and every item it
// returns carries the attributes of exactly one block.
func FuzzParseSecretToolSearch(f *testing.F) {
	f.Add([]byte(secretToolStdout), []byte(secretToolStderr))
	f.Add([]byte("[/1]\nsecret = a = b\n"), []byte("attribute.x = 1\nattribute.x = 2\n"))
	f.Fuzz(func(t *testing.T, stdout, stderr []byte) {
		items, err := parseSecretToolSearch(stdout, stderr)
		if err != nil {
			return
		}
		if n := strings.Count("\n"+string(stdout), "\n["); len(items) != n {
			t.Fatalf("%d items from %d headers", len(items), n)
		}
		for _, it := range items {
			if it.Attrs == nil {
				t.Fatal("item without attributes map")
			}
		}
	})
}

// FuzzDecodeInlineKeystoreValue: no panic; a decoded value re-encodes to the entry's data.
func FuzzDecodeInlineKeystoreValue(f *testing.F) {
	f.Add("ptks1:i:c3Vt:dG9rZW4=")
	f.Add("ptks1:i::")
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := decodeInlineKeystoreValue(s)
		if !ok {
			return
		}
		if !strings.HasSuffix(s, ":"+base64.StdEncoding.EncodeToString(v)) {
			t.Fatalf("%q decoded to %q", s, v)
		}
	})
}
