package ui_test

import (
	"strings"
	"testing"
)

// TestInspectorValuesCopyable: in the inspector's right pane at 100 columns, long values read
// back whole when the pane's lines are joined (issue 6: "client-assertion-typ" then
// "    e:jwt-bearer", indentation inside the value).
func TestInspectorValuesCopyable(t *testing.T) {
	app, _, _ := start(t, 3)
	app.WaitFor("Recent payments")
	app.Press("i")
	app.WaitFor("POST /payments  ← now")
	app.Press("k", "k")
	app.WaitFor("POST /token HTTP/1.1")
	v := app.View()
	var pane strings.Builder
	for _, l := range strings.Split(v, "\n") {
		if i := strings.LastIndex(l, "│ "); i >= 0 {
			pane.WriteString(l[i+len("│ "):])
		}
	}
	for _, want := range []string{"urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
		"https://wallet.example/open-finance/callback/return?from=bank&step=token", "X7bm8z1JUh0BoWS-Y_u0rimdmbZoUINvF4ByjHnXQ-I"} {
		if !strings.Contains(pane.String(), want) {
			t.Errorf("%q is not whole in the pane:\n%s", want, v)
		}
	}
	golden(t, app)
}
