package samlsp_test

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/shared/samlsp"
)

// FuzzVerify holds Verify to its contract on arbitrary documents derived from a genuine
// response: it never panics, every refusal is an *Error, and whatever it accepts says what the
// IdP signed — Alice, answering our request — since no key but the IdP's is trusted.
func FuzzVerify(f *testing.F) {
	idp := newIdP(f)
	sp := idp.newSP("conn-fuzz", false)
	resp, _, requestID := idp.spLogin(sp, "")
	issued := time.Now()
	sp.Now = func() time.Time { return issued } // keep the genuine response valid while fuzzing
	genuine := decode(f, resp)
	f.Add(genuine)
	f.Add(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" Version="2.0"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>`)
	f.Add("")
	f.Fuzz(func(t *testing.T, doc string) {
		a, err := sp.Verify(base64.StdEncoding.EncodeToString([]byte(doc)), requestID)
		if err != nil {
			var e *samlsp.Error
			if !errors.As(err, &e) || e.Reason == "" {
				t.Fatalf("refusal is not a *samlsp.Error: %#v", err)
			}
			return
		}
		if a.NameID != userEmail || a.InResponseTo != requestID || a.First(attrMail) != userEmail {
			t.Fatalf("accepted an assertion the IdP did not sign: %+v", a)
		}
	})
}
