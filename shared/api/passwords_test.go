package api_test

import (
	"context"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"

	"github.com/latchkey/latchkey/shared/app/apptest"
)

const strongPassword = "violet-anchor-Quarry-47-lantern"

func pwAuthenticate(t *testing.T, e *apptest.Env, org, addr, password string, extra map[string]any) apptest.Response {
	t.Helper()
	body := map[string]any{"organization_id": org, "email_address": addr, "password": password}
	for k, v := range extra {
		body[k] = v
	}
	return e.Do(t, "POST", "/v1/b2b/passwords/authenticate", body)
}

// resetToken starts a password reset for addr and returns the emailed link's token, checking
// the link is Stytch's shape.
func resetToken(t *testing.T, e *apptest.Env, org, addr string) string {
	t.Helper()
	r := e.Do(t, "POST", "/v1/b2b/passwords/email/reset/start", map[string]any{"organization_id": org, "email_address": addr})
	apptest.ExpectOK(t, r)
	mail := e.LastEmail(t, addr)
	u, err := url.Parse(mail.Link())
	if err != nil || u.Query().Get("stytch_token_type") != "multi_tenant_passwords" || u.Query().Get("slug") == "" {
		t.Fatalf("reset link %q", mail.Link())
	}
	return u.Query().Get("token")
}

func setPassword(t *testing.T, e *apptest.Env, org, addr, password string) apptest.Response {
	t.Helper()
	r := e.Do(t, "POST", "/v1/b2b/passwords/email/reset", map[string]any{
		"password_reset_token": resetToken(t, e, org, addr), "password": password})
	apptest.ExpectOK(t, r)
	return r
}

// One email is one member whatever the way in: a member who logs in by magic link, then sets a
// password by email and logs in with it, then by code, is one member_id, and each session
// records its factor.
func TestPasswordLoginIsTheSameMember(t *testing.T) {
	org, member, auth := login(t)
	addr := auth.Str("member.email_address")
	if auth.Str("member.member_password_id") != "" {
		t.Fatalf("member_password_id before any password: %s", auth.Raw)
	}
	apptest.ExpectError(t, pwAuthenticate(t, env, org, addr, strongPassword, nil), http.StatusUnauthorized, "unauthorized_credentials")

	reset := setPassword(t, env, org, addr, strongPassword)
	if reset.Str("member_id") != member || reset.Str("member.member_password_id") == "" || reset.Str("member_email_id") == "" ||
		reset.Str("member_session.authentication_factors.0.type") != "password" {
		t.Fatalf("reset: %s", reset.Raw)
	}
	// The reset ended the magic-link session.
	apptest.ExpectError(t, sessionAuth(t, map[string]any{"session_token": auth.Str("session_token")}), http.StatusNotFound, "session_not_found")

	a := pwAuthenticate(t, env, org, strings.ToUpper(addr), strongPassword, nil)
	apptest.ExpectOK(t, a)
	if a.Str("member_id") != member || a.Get("member_authenticated") != true ||
		a.Str("member_session.authentication_factors.0.type") != "password" ||
		a.Str("member_session.authentication_factors.0.delivery_method") != "knowledge" ||
		a.Str("member_session.authentication_factors.0.email_factor.email_address") != addr {
		t.Fatalf("authenticate: %s", a.Raw)
	}
	apptest.ExpectError(t, pwAuthenticate(t, env, org, addr, strongPassword+"x", nil), http.StatusUnauthorized, "unauthorized_credentials")
	apptest.ExpectError(t, pwAuthenticate(t, env, org, newEmail(), strongPassword, nil), http.StatusUnauthorized, "unauthorized_credentials")

	// A code on top of the password session: one member, both factors.
	apptest.ExpectOK(t, otpSend(t, org, addr, nil))
	both := otpAuthenticate(t, org, addr, env.LastEmail(t, addr).Code(), map[string]any{"session_token": a.Str("session_token")})
	apptest.ExpectOK(t, both)
	if f, _ := both.Get("member_session.authentication_factors").([]any); len(f) != 2 || both.Str("member_id") != member {
		t.Fatalf("factors: %s", both.Raw)
	}
}

// migrateFixtures are hashes of strongPassword made by implementations independent of
// Latchkey's (x/crypto, the standard library), plus phpass's own test vector, in the shape
// Passwords.Migrate carries each hash_type.
func migrateFixtures(t *testing.T) map[string]map[string]any {
	t.Helper()
	pw := []byte(strongPassword)
	salt := []byte("pepper-and-salt!")
	b64 := base64.StdEncoding.EncodeToString
	bc, err := bcrypt.GenerateFromPassword(pw, 6)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scrypt.Key(pw, salt, 16384, 8, 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := pbkdf2.Key(sha512.New, strongPassword, salt, 10000, 64)
	if err != nil {
		t.Fatal(err)
	}
	md := md5.Sum(append([]byte("s4lt"), pw...))
	s1 := sha1.Sum(append(slices.Clone(pw), "tail"...))
	s512 := sha512.Sum512(append(append([]byte("pre"), pw...), "post"...))
	a2 := argon2.IDKey(pw, salt, 2, 32*1024, 2, 32)
	a2i := argon2.Key(pw, salt, 3, 16*1024, 1, 32)
	return map[string]map[string]any{
		"bcrypt":  {"hash_type": "bcrypt", "hash": string(bc)},
		"md_5":    {"hash_type": "md_5", "hash": hex.EncodeToString(md[:]), "md_5_config": map[string]any{"prepend_salt": "s4lt"}},
		"sha_1":   {"hash_type": "sha_1", "hash": hex.EncodeToString(s1[:]), "sha_1_config": map[string]any{"append_salt": "tail"}},
		"sha_512": {"hash_type": "sha_512", "hash": hex.EncodeToString(s512[:]), "sha_512_config": map[string]any{"prepend_salt": "pre", "append_salt": "post"}},
		"argon_2id": {"hash_type": "argon_2id", "hash": "$argon2id$v=19$m=32768,t=2,p=2$" + base64.RawStdEncoding.EncodeToString(salt) +
			"$" + base64.RawStdEncoding.EncodeToString(a2)},
		"argon_2i": {"hash_type": "argon_2i", "hash": hex.EncodeToString(a2i),
			"argon_2_config": map[string]any{"salt": string(salt), "iteration_amount": 3, "memory": 16 * 1024, "threads": 1, "key_length": 32}},
		"scrypt": {"hash_type": "scrypt", "hash": b64(sc), "scrypt_config": map[string]any{"salt": b64(salt), "n_parameter": 16384,
			"r_parameter": 8, "p_parameter": 1, "key_length": 32}},
		"pbkdf_2": {"hash_type": "pbkdf_2", "hash": b64(pb), "pbkdf_2_config": map[string]any{"salt": b64(salt), "iteration_amount": 10000,
			"key_length": 64, "algorithm": "sha512"}},
		// phpass's own test vector (PasswordHash test.php): "test12345".
		"phpass": {"hash_type": "phpass", "hash": "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", "password": "test12345"},
	}
}

// Passwords.Migrate imports a hash of every type Stytch accepts, creating the member with its
// email verified; the imported password logs in, and that first login replaces the stored hash
// with an argon2id one, which keeps working.
func TestPasswordMigrateEveryHashType(t *testing.T) {
	org := createOrg(t, map[string]any{}).Str("organization.organization_id")
	for name, fx := range migrateFixtures(t) {
		t.Run(name, func(t *testing.T) {
			addr := newEmail()
			password := strongPassword
			if p, ok := fx["password"].(string); ok {
				password = p
				delete(fx, "password")
			}
			body := map[string]any{"organization_id": org, "email_address": addr, "name": "Imported " + name,
				"trusted_metadata": map[string]any{"source": "legacy"}}
			for k, v := range fx {
				body[k] = v
			}
			m := env.Do(t, "POST", "/v1/b2b/passwords/migrate", body)
			apptest.ExpectOK(t, m)
			if m.Get("member_created") != true || m.Get("member.email_address_verified") != true || m.Str("member.name") != "Imported "+name ||
				m.Str("member.trusted_metadata.source") != "legacy" || m.Str("member.member_password_id") == "" {
				t.Fatalf("migrate: %s", m.Raw)
			}
			again := env.Do(t, "POST", "/v1/b2b/passwords/migrate", body)
			apptest.ExpectError(t, again, http.StatusBadRequest, "password_already_exists")

			apptest.ExpectError(t, pwAuthenticate(t, env, org, addr, password+"!", nil), http.StatusUnauthorized, "unauthorized_credentials")
			a := pwAuthenticate(t, env, org, addr, password, nil)
			apptest.ExpectOK(t, a)
			if a.Str("member_id") != m.Str("member_id") {
				t.Fatalf("authenticate: %s", a.Raw)
			}
			stored, err := env.App.Store.Password(context.Background(), org, addr)
			if err != nil || !strings.HasPrefix(stored.Hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Fatalf("after the first login the stored hash is %v (%v), want argon2id", stored, err)
			}
			apptest.ExpectOK(t, pwAuthenticate(t, env, org, addr, password, nil))
		})
	}
}

// A reset link is single use, also when two resets race, and a weak new password is refused
// with zxcvbn's feedback before the link is spent.
func TestPasswordResetLinkIsSingleUse(t *testing.T) {
	org, member, _ := login(t)
	addr := env.Do(t, "GET", "/v1/b2b/organizations/"+org+"/member?member_id="+member, nil).Str("member.email_address")
	token := resetToken(t, env, org, addr)
	weak := env.Do(t, "POST", "/v1/b2b/passwords/email/reset", map[string]any{"password_reset_token": token, "password": "password"})
	apptest.ExpectError(t, weak, http.StatusBadRequest, "weak_password")
	if !strings.Contains(weak.Str("error_message"), "top-10 common password") {
		t.Fatalf("no feedback: %s", weak.Raw)
	}
	const n = 4
	results := make(chan apptest.Response, n)
	for i := range n {
		go func() {
			results <- env.Do(t, "POST", "/v1/b2b/passwords/email/reset", map[string]any{"password_reset_token": token,
				"password": fmt.Sprintf("%s-%d", strongPassword, i)})
		}()
	}
	won := 0
	for range n {
		r := <-results
		switch r.Status {
		case http.StatusOK:
			won++
		default:
			apptest.ExpectError(t, r, http.StatusUnauthorized, "unable_to_auth_password_reset_token")
		}
	}
	if won != 1 {
		t.Fatalf("%d resets won with one link", won)
	}
}

// A password proves the address it was set for, so only a session that proved the member's
// current address may set one: an organization that renames its member to someone else's
// address cannot give that member a password for it. An address change also clears the
// password, and the reset link sent to the old address is dead.
func TestPasswordFollowsTheProvenAddress(t *testing.T) {
	org, member, addr := memberWithPassword(t)
	a := pwAuthenticate(t, env, org, addr, strongPassword, nil)
	apptest.ExpectOK(t, a)
	token := resetToken(t, env, org, addr)

	victim := newEmail()
	upd := env.Do(t, "PUT", "/v1/b2b/organizations/"+org+"/members/"+member, map[string]any{"email_address": victim})
	apptest.ExpectOK(t, upd)
	if upd.Str("member.member_password_id") != "" || upd.Get("member.email_address_verified") != false {
		t.Fatalf("after the rename: %s", upd.Raw)
	}
	apptest.ExpectError(t, pwAuthenticate(t, env, org, victim, strongPassword, nil), http.StatusUnauthorized, "unauthorized_credentials")
	apptest.ExpectError(t, pwAuthenticate(t, env, org, addr, strongPassword, nil), http.StatusUnauthorized, "unauthorized_credentials")
	sr := env.Do(t, "POST", "/v1/b2b/passwords/session/reset", map[string]any{"organization_id": org,
		"session_token": a.Str("session_token"), "password": strongPassword + "-renamed"})
	apptest.ExpectError(t, sr, http.StatusBadRequest, "email_verification_required")
	old := env.Do(t, "POST", "/v1/b2b/passwords/email/reset", map[string]any{"password_reset_token": token, "password": strongPassword + "-old"})
	apptest.ExpectError(t, old, http.StatusUnauthorized, "unable_to_auth_password_reset_token")
}

// Under concurrent first logins by several ways in (a magic link signup, an email code
// signup, a password import), an address is one member of its organization.
func TestConcurrentFirstLoginsAreOneMember(t *testing.T) {
	org := createOrg(t, map[string]any{"email_allowed_domains": []string{"acme.com"}, "email_jit_provisioning": "RESTRICTED"}).
		Str("organization.organization_id")
	for round := range 3 {
		addr := fmt.Sprintf("first-%d-%d@acme.com", round, time.Now().UnixNano())
		calls := []func() apptest.Response{
			func() apptest.Response { return loginOrSignup(t, org, addr, nil) },
			func() apptest.Response { return otpSend(t, org, addr, nil) },
			func() apptest.Response {
				return env.Do(t, "POST", "/v1/b2b/passwords/migrate", map[string]any{"organization_id": org, "email_address": addr,
					"hash_type": "phpass", "hash": "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"})
			},
		}
		out := make(chan apptest.Response, len(calls))
		for _, c := range calls {
			go func() { out <- c() }()
		}
		ids := map[string]bool{}
		for range calls {
			r := <-out
			if r.Status == http.StatusOK {
				ids[r.Str("member_id")] = true
			} else if r.Status != http.StatusConflict {
				t.Fatalf("round %d: %d %s", round, r.Status, r.Raw)
			}
		}
		search := env.Do(t, "POST", "/v1/b2b/organizations/members/search", map[string]any{"organization_ids": []string{org},
			"query": searchFilter("member_emails", addr)})
		apptest.ExpectOK(t, search)
		members, _ := search.Get("members").([]any)
		if len(members) != 1 || len(ids) != 1 {
			t.Fatalf("round %d: %d members for %s, answers named %v", round, len(members), addr, ids)
		}
	}
}

// An organization-scoped password proves its address in its organization only, as Stytch says
// of password factors: its session cannot be exchanged into another organization, even one
// where the address is a member, and discovery by it does not exist. An intermediate session
// presented with a password is consumed by the login.
func TestOrganizationPasswordsDoNotCrossOrganizations(t *testing.T) {
	org, _, addr := memberWithPassword(t)
	other := createOrg(t, map[string]any{}).Str("organization.organization_id")
	createMember(t, other, map[string]any{"email_address": addr})
	a := pwAuthenticate(t, env, org, addr, strongPassword, nil)
	apptest.ExpectOK(t, a)
	ex := env.Do(t, "POST", "/v1/b2b/sessions/exchange", map[string]any{"organization_id": other, "session_token": a.Str("session_token")})
	apptest.ExpectError(t, ex, http.StatusBadRequest, "session_email_not_proven")

	// A discovery intermediate session for the address, then a password login with it.
	ist := discover(t, addr).Str("intermediate_session_token")
	withIST := pwAuthenticate(t, env, org, addr, strongPassword, map[string]any{"intermediate_session_token": ist})
	apptest.ExpectOK(t, withIST)
	if f, _ := withIST.Get("member_session.authentication_factors").([]any); len(f) != 2 {
		t.Fatalf("factors: %s", withIST.Raw)
	}
	again := pwAuthenticate(t, env, org, addr, strongPassword, map[string]any{"intermediate_session_token": ist})
	apptest.ExpectError(t, again, http.StatusNotFound, "intermediate_session_not_found")
}

// A password reset link is not a magic link: MagicLinks.Authenticate refuses it, and it still
// resets the password afterwards.
func TestPasswordResetTokenIsNotAMagicLink(t *testing.T) {
	org, _, addr := memberWithPassword(t)
	tok := resetToken(t, env, org, addr)
	apptest.ExpectError(t, authenticate(t, tok, nil), http.StatusNotFound, "magic_link_not_found")
	apptest.ExpectOK(t, env.Do(t, "POST", "/v1/b2b/passwords/email/reset", map[string]any{"password_reset_token": tok, "password": strongPassword + "-b"}))
}
