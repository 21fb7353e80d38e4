package rules

import "testing"

func TestNameMatch(t *testing.T) {
	for _, tc := range []struct{ asked, holder, want string }{
		{"Fatima Al Mansoori", "Fatima Al Mansoori", "ConfirmationOfPayee.Yes"},
		{" FATIMA  al mansoori", "Fatima Al Mansoori", "ConfirmationOfPayee.Yes"},
		{"Fatima Al Mansouri", "Fatima Al Mansoori", "ConfirmationOfPayee.Partial"},
		{"Al Mansoori Fatima", "Fatima Al Mansoori", "ConfirmationOfPayee.Partial"},
		{"John Smith", "Fatima Al Mansoori", "ConfirmationOfPayee.No"},
		{"Fatima", "Fatima Al Mansoori", "ConfirmationOfPayee.No"},
	} {
		if got := NameMatch(tc.asked, tc.holder); got != tc.want {
			t.Errorf("NameMatch(%q, %q) = %s, want %s", tc.asked, tc.holder, got, tc.want)
		}
	}
}

func FuzzCoPConfirmationRequest(f *testing.F) {
	f.Add([]byte(`{"Data":{"SchemeName":"IBAN","Identification":"AE070331234567890123456","Name":{"FullName":"A"}}}`))
	f.Add([]byte(`{"Data":{"SchemeName":"IBAN","Identification":"AE070331234567890123456","Name":{"BusinessName":"B","FullName":"A"}}}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		req, err := CoPConfirmationRequest(msg)
		if err != nil {
			if AsViolation(err) == nil || AsViolation(err).Rule != 41 {
				t.Fatalf("error is not a rule 41 violation: %v", err)
			}
			return
		}
		if CheckIBAN(req.IBAN) != nil || req.Name == "" || len([]rune(req.Name)) > 140 {
			t.Fatalf("accepted %+v", req)
		}
	})
}
