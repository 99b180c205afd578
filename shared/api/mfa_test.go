package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

// mfaLogin logs a member of a REQUIRED_FOR_ALL organization in by magic link and returns the
// intermediate session the organization answers with.
func mfaLogin(t *testing.T, org, addr string) apptest.Response {
	t.Helper()
	apptest.ExpectOK(t, loginOrSignup(t, org, addr, nil))
	a := authenticate(t, env.LastEmail(t, addr).Token(), nil)
	apptest.ExpectOK(t, a)
	if a.Get("member_authenticated") != false || a.Str("intermediate_session_token") == "" || a.Str("session_token") != "" ||
		a.Get("mfa_required") == nil {
		t.Fatalf("a REQUIRED_FOR_ALL login: %s", a.Raw)
	}
	return a
}

// totpCode is the authenticator app's code for the secret at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The REQUIRED_FOR_ALL journey: a magic link answers an intermediate session and mfa_required;
// the member enrolls a TOTP with that intermediate session alone, and its first code turns the
// intermediate session into a session holding both factors. A code works once. The next login
// needs the TOTP (a primary factor alone cannot add another second factor), a recovery code
// stands in for it once, and deleting the TOTP ends its recovery codes.
func TestMFARequiredForAllWithTOTPAndRecoveryCodes(t *testing.T) {
	org := createOrg(t, map[string]any{"mfa_policy": "REQUIRED_FOR_ALL"}).Str("organization.organization_id")
	addr := newEmail()
	member := createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")
	first := mfaLogin(t, org, addr)
	if first.Str("mfa_required.member_options.totp_registration_id") != "" {
		t.Fatalf("member options before enrollment: %s", first.Raw)
	}
	ist := first.Str("intermediate_session_token")

	created := env.Do(t, "POST", "/v1/b2b/totp", map[string]any{"organization_id": org, "member_id": member, "intermediate_session_token": ist})
	apptest.ExpectOK(t, created)
	secret := created.Str("secret")
	codes, _ := created.Get("recovery_codes").([]any)
	if len(secret) != 32 || !strings.HasPrefix(created.Str("qr_code"), "data:image/png;base64,") || len(codes) != 10 ||
		!strings.HasPrefix(created.Str("totp_registration_id"), "member-totp-") || created.Str("member.totp_registration_id") != "" {
		t.Fatalf("create: %s", created.Raw)
	}
	totpID := created.Str("totp_registration_id")
	now := env.Clock.Now()
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": "12345", "intermediate_session_token": ist}), http.StatusBadRequest, "invalid_totp_code")
	code := totpCode(t, secret, now)
	a := env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": code, "intermediate_session_token": ist})
	apptest.ExpectOK(t, a)
	if a.Str("session_token") == "" || a.Str("member.totp_registration_id") != totpID || a.Get("member.mfa_enrolled") != true ||
		a.Str("member.default_mfa_method") != "totp" || a.Get("intermediate_session_token") != nil {
		t.Fatalf("totp authenticate: %s", a.Raw)
	}
	factors, _ := a.Get("member_session.authentication_factors").([]any)
	if len(factors) != 2 || a.Str("member_session.authentication_factors.1.type") != "totp" ||
		a.Str("member_session.authentication_factors.1.authenticator_app_factor.totp_id") != totpID {
		t.Fatalf("factors: %s", a.Raw)
	}
	apptest.ExpectOK(t, sessionAuth(t, map[string]any{"session_token": a.Str("session_token")}))
	// The intermediate session is spent, and the code too.
	second := mfaLogin(t, org, addr)
	if second.Str("mfa_required.member_options.totp_registration_id") != totpID || second.Get("mfa_required.secondary_auth_initiated") != nil {
		t.Fatalf("member options: %s", second.Raw)
	}
	ist2 := second.Str("intermediate_session_token")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": code, "intermediate_session_token": ist2}), http.StatusBadRequest, "totp_code_already_authenticated")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": code, "intermediate_session_token": ist}), http.StatusNotFound, "intermediate_session_not_found")
	// A primary factor alone cannot add a second factor to a member that has one.
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/otps/sms/send", map[string]any{"organization_id": org, "member_id": member,
		"mfa_phone_number": "+15555550123", "intermediate_session_token": ist2}), http.StatusBadRequest, "insufficient_factors")

	// A recovery code instead of the TOTP, once.
	rc := codes[0].(string)
	rec := env.Do(t, "POST", "/v1/b2b/recovery_codes/recover", map[string]any{"organization_id": org, "member_id": member,
		"recovery_code": rc, "intermediate_session_token": ist2})
	apptest.ExpectOK(t, rec)
	if rec.Get("recovery_codes_remaining") != float64(9) || rec.Str("member_session.authentication_factors.1.type") != "recovery_codes" {
		t.Fatalf("recover: %s", rec.Raw)
	}
	third := mfaLogin(t, org, addr).Str("intermediate_session_token")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/recovery_codes/recover", map[string]any{"organization_id": org, "member_id": member,
		"recovery_code": rc, "intermediate_session_token": third}), http.StatusUnauthorized, "unable_to_authenticate_recovery_code")
	apptest.ExpectError(t, env.Do(t, "GET", fmt.Sprintf("/v1/b2b/recovery_codes/%s/%s", org, member), nil), http.StatusBadRequest, "recovery_codes_shown_once")
	rot := env.Do(t, "POST", "/v1/b2b/recovery_codes/rotate", map[string]any{"organization_id": org, "member_id": member})
	apptest.ExpectOK(t, rot)
	if fresh, _ := rot.Get("recovery_codes").([]any); len(fresh) != 10 || fresh[0] == codes[1] {
		t.Fatalf("rotate: %s", rot.Raw)
	}
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/recovery_codes/recover", map[string]any{"organization_id": org, "member_id": member,
		"recovery_code": codes[1].(string), "intermediate_session_token": third}), http.StatusUnauthorized, "unable_to_authenticate_recovery_code")

	del := env.Do(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/"+member+"/totp", nil)
	apptest.ExpectOK(t, del)
	if del.Str("member.totp_registration_id") != "" {
		t.Fatalf("delete totp: %s", del.Raw)
	}
	apptest.ExpectError(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/"+member+"/totp", nil), http.StatusNotFound, "totp_not_found")
}

// Ten wrong second factors lock the member (Stytch's user lock), the right code included,
// until the hour ends; parallel guesses get no more than ten tries.
func TestMFAWrongCodesLockTheMember(t *testing.T) {
	org := createOrg(t, map[string]any{"mfa_policy": "REQUIRED_FOR_ALL"}).Str("organization.organization_id")
	addr := newEmail()
	member := createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")
	ist := mfaLogin(t, org, addr).Str("intermediate_session_token")
	created := env.Do(t, "POST", "/v1/b2b/totp", map[string]any{"organization_id": org, "member_id": member, "intermediate_session_token": ist})
	apptest.ExpectOK(t, created)
	right := totpCode(t, created.Str("secret"), env.Clock.Now())
	statuses := concurrently(20, func(i int) int {
		wrong := fmt.Sprintf("%06d", (i*7919+13)%1000000)
		if wrong == right {
			wrong = "000000"
		}
		return env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": member,
			"code": wrong, "intermediate_session_token": ist}).Status
	})
	tried, locked := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusUnauthorized:
			tried++
		case http.StatusTooManyRequests:
			locked++
		}
	}
	if tried != 10 || locked != 10 {
		t.Fatalf("20 parallel wrong codes: %d tried, %d locked (%v)", tried, locked, statuses)
	}
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": right, "intermediate_session_token": ist}), http.StatusTooManyRequests, "user_lock_limit_reached")
}

// An OPTIONAL organization asks for a second factor only of members who enrolled; a session
// steps up by adding a TOTP, and enrolling then makes the next login owe it. A RESTRICTED
// method list refuses the others.
func TestMFAOptionalEnrollmentAndRestrictedMethods(t *testing.T) {
	org, member, auth := login(t)
	addr := auth.Str("member.email_address")
	created := env.Do(t, "POST", "/v1/b2b/totp", map[string]any{"organization_id": org, "member_id": member, "session_token": auth.Str("session_token")})
	apptest.ExpectOK(t, created)
	up := env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": totpCode(t, created.Str("secret"), env.Clock.Now()), "session_token": auth.Str("session_token"), "set_mfa_enrollment": "enroll"})
	apptest.ExpectOK(t, up)
	if f, _ := up.Get("member_session.authentication_factors").([]any); len(f) != 2 || up.Get("member.mfa_enrolled") != true {
		t.Fatalf("step-up: %s", up.Raw)
	}
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": auth.Str("session_token")}), http.StatusNotFound, "session_not_found")
	apptest.ExpectOK(t, loginOrSignup(t, org, addr, nil))
	next := authenticate(t, env.LastEmail(t, addr).Token(), nil)
	if next.Get("member_authenticated") != false || next.Get("mfa_required") == nil {
		t.Fatalf("an enrolled member's login: %s", next.Raw)
	}
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org, map[string]any{"mfa_methods": "RESTRICTED", "allowed_mfa_methods": []string{"sms_otp"}}))
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": "123456", "intermediate_session_token": next.Str("intermediate_session_token")}), http.StatusBadRequest, "operation_restricted_by_organization_mfa_methods")
}

// SMS as the second factor: Send texts a number given for a member that has none, and the
// texted code redeems the intermediate session and makes that number the member's, verified; a code works once,
// a wrong one is refused, a member with a number cannot send to another, and deleting the
// number clears it.
func TestMFABySMS(t *testing.T) {
	org := createOrg(t, map[string]any{"mfa_policy": "REQUIRED_FOR_ALL"}).Str("organization.organization_id")
	addr := newEmail()
	member := createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")
	ist := mfaLogin(t, org, addr).Str("intermediate_session_token")
	phone := fmt.Sprintf("+1555%07d", time.Now().UnixNano()%10000000)
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/otps/sms/send", map[string]any{"organization_id": org, "member_id": member,
		"mfa_phone_number": "555-0100", "intermediate_session_token": ist}), http.StatusBadRequest, "invalid_phone_number")
	sent := env.Do(t, "POST", "/v1/b2b/otps/sms/send", map[string]any{"organization_id": org, "member_id": member,
		"mfa_phone_number": phone, "intermediate_session_token": ist})
	apptest.ExpectOK(t, sent)
	if sent.Str("member.mfa_phone_number") != "" {
		t.Fatalf("send linked the number before a code from it was authenticated: %s", sent.Raw)
	}
	text := env.LastText(t, phone)
	code := text.Code()
	if code == "" || !strings.Contains(text.Body, "expires in 2 minutes") {
		t.Fatalf("text: %q", text.Body)
	}
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/otps/sms/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": wrong(code), "intermediate_session_token": ist}), http.StatusNotFound, "otp_code_not_found")
	a := env.Do(t, "POST", "/v1/b2b/otps/sms/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": code, "intermediate_session_token": ist})
	apptest.ExpectOK(t, a)
	if a.Get("member.mfa_phone_number_verified") != true || a.Str("member.default_mfa_method") != "sms_otp" ||
		a.Str("member_session.authentication_factors.1.type") != "otp" || a.Str("member_session.authentication_factors.1.delivery_method") != "sms" ||
		a.Str("member_session.authentication_factors.1.phone_number_factor.phone_number") != phone {
		t.Fatalf("sms authenticate: %s", a.Raw)
	}
	// The next login texts a code by itself, as Stytch does (secondary_auth_initiated), and that
	// code completes it; another number is refused, and Send resends.
	before := len(env.Texts(t, phone))
	ist2 := mfaLogin(t, org, addr)
	if ist2.Str("mfa_required.member_options.mfa_phone_number") != phone || ist2.Str("mfa_required.secondary_auth_initiated") != "sms_otp" ||
		len(env.Texts(t, phone)) != before+1 {
		t.Fatalf("a login of a member with a verified number: %s", ist2.Raw)
	}
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/otps/sms/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": code, "intermediate_session_token": ist2.Str("intermediate_session_token")}), http.StatusNotFound, "otp_code_not_found")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/otps/sms/send", map[string]any{"organization_id": org, "member_id": member,
		"mfa_phone_number": "+15555550111", "intermediate_session_token": ist2.Str("intermediate_session_token")}), http.StatusBadRequest, "member_phone_number_mismatch")
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/otps/sms/send", map[string]any{"organization_id": org, "member_id": member,
		"intermediate_session_token": ist2.Str("intermediate_session_token")}))
	resent := env.LastText(t, phone).Code()
	if len(env.Texts(t, phone)) != before+2 {
		t.Fatal("Send did not text a new code")
	}
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/otps/sms/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": wrong(resent), "intermediate_session_token": ist2.Str("intermediate_session_token")}), http.StatusNotFound, "otp_code_not_found")
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/otps/sms/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": resent, "intermediate_session_token": ist2.Str("intermediate_session_token")}))
	del := env.Do(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/mfa_phone_numbers/"+member, nil)
	apptest.ExpectOK(t, del)
	if del.Str("member.mfa_phone_number") != "" || del.Get("member.mfa_phone_number_verified") != false {
		t.Fatalf("delete phone: %s", del.Raw)
	}
}

// Exchanging a session into an organization that requires MFA is a step-up: an intermediate
// session and mfa_required, redeemed there by the member's TOTP. The second factor of one
// organization does not carry into another.
func TestMFAStepUpOnSessionExchange(t *testing.T) {
	_, _, auth := login(t)
	addr := auth.Str("member.email_address")
	strict := createOrg(t, map[string]any{"mfa_policy": "REQUIRED_FOR_ALL"}).Str("organization.organization_id")
	member := createMember(t, strict, map[string]any{"email_address": addr}).Str("member_id")
	ex := env.Do(t, "POST", "/v1/b2b/sessions/exchange", map[string]any{"organization_id": strict, "session_token": auth.Str("session_token")})
	apptest.ExpectOK(t, ex)
	if ex.Get("member_authenticated") != false || ex.Get("mfa_required") == nil || ex.Str("intermediate_session_token") == "" {
		t.Fatalf("exchange into an MFA organization: %s", ex.Raw)
	}
	ist := ex.Str("intermediate_session_token")
	created := env.Do(t, "POST", "/v1/b2b/totp", map[string]any{"organization_id": strict, "member_id": member, "intermediate_session_token": ist})
	apptest.ExpectOK(t, created)
	a := env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": strict, "member_id": member,
		"code": totpCode(t, created.Str("secret"), env.Clock.Now()), "intermediate_session_token": ist})
	apptest.ExpectOK(t, a)
	if a.Str("organization.organization_id") != strict || a.Str("member_id") != member {
		t.Fatalf("step-up: %s", a.Raw)
	}
	// Back to another strict organization with this session: its TOTP factor is not that
	// organization's member's, so MFA is owed again.
	other := createOrg(t, map[string]any{"mfa_policy": "REQUIRED_FOR_ALL"}).Str("organization.organization_id")
	createMember(t, other, map[string]any{"email_address": addr})
	again := env.Do(t, "POST", "/v1/b2b/sessions/exchange", map[string]any{"organization_id": other, "session_token": a.Str("session_token")})
	apptest.ExpectOK(t, again)
	if again.Get("member_authenticated") != false {
		t.Fatalf("a second factor carried into another organization: %s", again.Raw)
	}
}

// TestMFADynamoDBCalls holds second-factor routes to their calls: the member and organization
// (one BatchGetItem), what was presented (the intermediate session or session), the
// registration or code, the try reserved on the member's lock, and one transaction that writes
// the session with everything the factor changes.
func TestMFADynamoDBCalls(t *testing.T) {
	org := createOrg(t, map[string]any{"mfa_policy": "REQUIRED_FOR_ALL"}).Str("organization.organization_id")
	addr := newEmail()
	member := createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")
	ist := mfaLogin(t, org, addr).Str("intermediate_session_token")
	check := func(name string, r apptest.Response, ops string) {
		t.Helper()
		apptest.ExpectOK(t, r)
		if line := logLine(t, r); line["dynamodb_ops"] != ops {
			t.Errorf("%s: want %s, got %v (%v calls)", name, ops, line["dynamodb_ops"], line["dynamodb_calls"])
		}
	}
	created := env.Do(t, "POST", "/v1/b2b/totp", map[string]any{"organization_id": org, "member_id": member, "intermediate_session_token": ist})
	check("totp create", created, "BatchGetItem:1,GetItem:2,PutItem:1")
	a := env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": totpCode(t, created.Str("secret"), env.Clock.Now()), "intermediate_session_token": ist})
	check("totp authenticate", a, "BatchGetItem:1,GetItem:2,TransactWriteItems:1,UpdateItem:1")
	codes, _ := created.Get("recovery_codes").([]any)
	ist2 := mfaLogin(t, org, addr).Str("intermediate_session_token")
	rec := env.Do(t, "POST", "/v1/b2b/recovery_codes/recover", map[string]any{"organization_id": org, "member_id": member,
		"recovery_code": codes[0], "intermediate_session_token": ist2})
	check("recover", rec, "BatchGetItem:1,GetItem:2,TransactWriteItems:1,UpdateItem:1")
	phone := fmt.Sprintf("+1556%07d", time.Now().UnixNano()%10000000)
	sent := env.Do(t, "POST", "/v1/b2b/otps/sms/send", map[string]any{"organization_id": org, "member_id": member,
		"mfa_phone_number": phone, "session_token": a.Str("session_token")})
	check("sms send (linking a number)", sent, "BatchGetItem:2,GetItem:1,PutItem:1,UpdateItem:2")
}

// A second factor started but not finished (a number texted, never proved) cannot later stand
// in for the member's real one: once the member has a verified TOTP, a code for that number
// needs what used the TOTP, at Authenticate as at Send.
func TestMFAUnfinishedFactorCannotBypassTheRealOne(t *testing.T) {
	org := createOrg(t, map[string]any{"mfa_policy": "REQUIRED_FOR_ALL"}).Str("organization.organization_id")
	addr := newEmail()
	member := createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")
	attackerPhone := fmt.Sprintf("+1557%07d", time.Now().UnixNano()%10000000)
	ist := mfaLogin(t, org, addr).Str("intermediate_session_token")
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/otps/sms/send", map[string]any{"organization_id": org, "member_id": member,
		"mfa_phone_number": attackerPhone, "intermediate_session_token": ist}))
	code := env.LastText(t, attackerPhone).Code()

	// The member enrolls a TOTP with its own login.
	own := mfaLogin(t, org, addr).Str("intermediate_session_token")
	created := env.Do(t, "POST", "/v1/b2b/totp", map[string]any{"organization_id": org, "member_id": member, "intermediate_session_token": own})
	apptest.ExpectOK(t, created)
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/totp/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": totpCode(t, created.Str("secret"), env.Clock.Now()), "intermediate_session_token": own}))

	later := mfaLogin(t, org, addr).Str("intermediate_session_token")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/otps/sms/authenticate", map[string]any{"organization_id": org, "member_id": member,
		"code": code, "intermediate_session_token": later}), http.StatusBadRequest, "insufficient_factors")
	apptest.ExpectError(t, env.Do(t, "POST", "/v1/b2b/otps/sms/send", map[string]any{"organization_id": org, "member_id": member,
		"mfa_phone_number": attackerPhone, "intermediate_session_token": later}), http.StatusBadRequest, "insufficient_factors")
}

// An MFA phone number belongs to one member of an organization, as in Stytch: another member
// can neither be texted on it to link it nor be given it by Members.Update.
func TestMFAPhoneNumbersAreUniquePerOrganization(t *testing.T) {
	org := createOrg(t, map[string]any{"mfa_policy": "REQUIRED_FOR_ALL"}).Str("organization.organization_id")
	phone := fmt.Sprintf("+1558%07d", time.Now().UnixNano()%10000000)
	link := func(addr string) (string, apptest.Response) {
		member := createMember(t, org, map[string]any{"email_address": addr}).Str("member_id")
		ist := mfaLogin(t, org, addr).Str("intermediate_session_token")
		return member, env.Do(t, "POST", "/v1/b2b/otps/sms/send", map[string]any{"organization_id": org, "member_id": member,
			"mfa_phone_number": phone, "intermediate_session_token": ist})
	}
	first, sent := link(newEmail())
	apptest.ExpectOK(t, sent)
	firstIST := mfaLogin(t, org, getMember(t, org, first, "").Str("member.email_address")).Str("intermediate_session_token")
	code := env.LastText(t, phone).Code()
	// The code was sent with the member's first login's intermediate session; a later one
	// works as well, since the code is the member's.
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/otps/sms/authenticate", map[string]any{"organization_id": org, "member_id": first,
		"code": code, "intermediate_session_token": firstIST}))
	second, refused := link(newEmail())
	apptest.ExpectError(t, refused, http.StatusBadRequest, "duplicate_member_phone_number")
	apptest.ExpectError(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+second, map[string]any{"mfa_phone_number": phone}),
		http.StatusBadRequest, "duplicate_member_phone_number")
	// Deleting the first member's number frees it.
	apptest.ExpectOK(t, env.Do(t, "DELETE", "/v1/b2b/organizations/"+org+"/members/mfa_phone_numbers/"+first, nil))
	apptest.ExpectOK(t, env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+second, map[string]any{"mfa_phone_number": phone}))
}
