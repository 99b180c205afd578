package tokens

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/authn"
)

func fp(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

func TestJWTReuseWindowIsClamped(t *testing.T) {
	for _, c := range []struct{ in, want time.Duration }{
		{0, 0}, {-time.Second, 0}, {time.Second, time.Second}, {DefaultJWTReuse, 30 * time.Second},
		{MaxJWTReuse, time.Minute}, {61 * time.Second, time.Minute}, {time.Hour, time.Minute},
	} {
		r := NewJWTReuse(c.in)
		if r.Window() != c.want || (c.want == 0) != (r == nil) {
			t.Errorf("NewJWTReuse(%s): window %s (nil %v), want %s", c.in, r.Window(), r == nil, c.want)
		}
	}
}

// The cache alone: an entry is answered only for its session and fingerprint, only while it is
// young (never before it was signed), until it is forgotten or replaced.
func TestJWTReuseCache(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	c := newJWTReuse(30*time.Second, 100)
	c.put("s1", fp("a"), "jwt-a", t0)
	cases := []struct {
		name    string
		session string
		fp      string
		at      time.Duration
		want    string
	}{
		{"same instant", "s1", "a", 0, "jwt-a"},
		{"within the window", "s1", "a", 29*time.Second + 999*time.Millisecond, "jwt-a"},
		{"at the window's end", "s1", "a", 30 * time.Second, ""},
		{"after it", "s1", "a", time.Hour, ""},
		{"before it was signed (clock went back)", "s1", "a", -time.Second, ""},
		{"other claims", "s1", "b", time.Second, ""},
		{"other session", "s2", "a", time.Second, ""},
	}
	for _, tc := range cases {
		got, ok := c.get(tc.session, fp(tc.fp), t0.Add(tc.at))
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: got %q %v, want %q", tc.name, got, ok, tc.want)
		}
	}
	// A new signing for other claims replaces the session's entry.
	c.put("s1", fp("b"), "jwt-b", t0.Add(time.Second))
	if got, _ := c.get("s1", fp("a"), t0.Add(2*time.Second)); got != "" {
		t.Fatalf("replaced entry answered: %q", got)
	}
	if got, _ := c.get("s1", fp("b"), t0.Add(2*time.Second)); got != "jwt-b" || c.Len() != 1 {
		t.Fatalf("replacement: %q, %d entries", got, c.Len())
	}
	c.Forget("s1", "unknown")
	if got, ok := c.get("s1", fp("b"), t0.Add(2*time.Second)); ok || c.Len() != 0 {
		t.Fatalf("forgotten entry answered: %q", got)
	}
	// A nil cache keeps nothing and never panics.
	var off *JWTReuse
	off.put("s1", fp("a"), "x", t0)
	off.Forget("s1")
	if _, ok := off.get("s1", fp("a"), t0); ok || off.Len() != 0 {
		t.Fatal("nil cache answered")
	}
}

// Memory is bounded: past the bound the oldest signed go first, and whatever is older than the
// window is dropped when anything is added.
func TestJWTReuseIsBounded(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	c := newJWTReuse(30*time.Second, 3)
	for i := range 5 {
		c.put(fmt.Sprint("s", i), fp("a"), fmt.Sprint("jwt-", i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if c.Len() != 3 {
		t.Fatalf("%d entries, bound 3", c.Len())
	}
	for i, want := range []bool{false, false, true, true, true} {
		if _, ok := c.get(fmt.Sprint("s", i), fp("a"), t0.Add(time.Second)); ok != want {
			t.Errorf("s%d kept %v, want %v", i, ok, want)
		}
	}
	c.put("late", fp("a"), "jwt-late", t0.Add(time.Minute))
	if c.Len() != 1 {
		t.Fatalf("entries older than the window were kept: %d", c.Len())
	}
	if JWTReuseEntries <= 0 || NewJWTReuse(DefaultJWTReuse).max != JWTReuseEntries {
		t.Fatal("the production cache is not bounded by JWTReuseEntries")
	}
}

// memKeys is a KeyStore in memory.
type memKeys struct {
	mu   sync.Mutex
	recs []KeyRecord // newest first, as the table returns them
}

func (m *memKeys) SigningKeys(context.Context) ([]KeyRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]KeyRecord(nil), m.recs...), nil
}

func (m *memKeys) AddSigningKey(_ context.Context, k KeyRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.recs {
		if r.Seq == k.Seq {
			return ErrKeyExists
		}
	}
	m.recs = append([]KeyRecord{k}, m.recs...)
	return nil
}

func testSession(now time.Time) authn.Session {
	return authn.Session{MemberSessionID: "member-session-test-1", MemberID: "member-test-1",
		OrganizationID: "organization-test-1", OrganizationSlug: "acme",
		StartedAt: now, LastAccessedAt: now, ExpiresAt: now.Add(time.Hour),
		Roles: []string{"stytch_member"}, CustomClaims: map[string]any{"tier": "gold"},
		AuthenticationFactors: []latchkey.AuthFactor{latchkey.FactorMagicLink.Proved("a@acme.com", now)}}
}

// parse reads a JWT signed by one of the key set's keys, returning its kid and claims.
func parse(t *testing.T, keys *KeySet, token string) (string, jwt.MapClaims) {
	t.Helper()
	jwks, err := keys.current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.Parse(token, func(tok *jwt.Token) (any, error) {
		for _, k := range jwks {
			if k.kid == tok.Header["kid"] {
				return &k.key.PublicKey, nil
			}
		}
		return nil, fmt.Errorf("unknown kid %v", tok.Header["kid"])
	}, jwt.WithoutClaimsValidation())
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Header["kid"].(string), parsed.Claims.(jwt.MapClaims)
}

// SessionJWT.Issue with reuse: the same session and claims within the window get the same JWT,
// whose exp is its own (at least four minutes ahead); anything a fresh JWT would say otherwise
// (roles, custom claims, factors, expiry, organization, the signing key) or an expired window
// gets a new one, and so does a forgotten session.
func TestIssueReusesOnlyAYoungIdenticalJWT(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	store := &memKeys{}
	keys := NewKeySet(store, func() time.Time { return t0 })
	if err := keys.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	j := SessionJWT{Keys: keys, ProjectID: "project-test-1", Reuse: NewJWTReuse(DefaultJWTReuse)}
	issue := func(s authn.Session, at time.Duration) string {
		t.Helper()
		tok, err := j.Issue(ctx, s, t0.Add(at))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	s := testSession(t0)
	first := issue(s, 0)

	// Within the window, and with only last_accessed_at moved: the same JWT, exp unchanged.
	later := s
	later.LastAccessedAt = t0.Add(20 * time.Second)
	if again := issue(later, 29*time.Second); again != first {
		t.Fatal("a JWT for the same claims within the window was signed anew")
	}
	_, claims := parse(t, keys, first)
	if exp, _ := claims.GetExpirationTime(); !exp.Time.Equal(t0.Add(JWTLifetime)) ||
		exp.Time.Sub(t0.Add(MaxJWTReuse)) < 4*time.Minute {
		t.Fatalf("exp %v", exp)
	}

	changed := map[string]func(*authn.Session){
		"roles":        func(s *authn.Session) { s.Roles = append([]string{"editor"}, s.Roles...) },
		"custom claim": func(s *authn.Session) { s.CustomClaims = map[string]any{"tier": "silver"} },
		"new claim":    func(s *authn.Session) { s.CustomClaims = map[string]any{"tier": "gold", "seat": 3} },
		"factors": func(s *authn.Session) {
			s.AuthenticationFactors = append(s.AuthenticationFactors, latchkey.FactorEmailOTP.Proved("a@acme.com", t0))
		},
		"session expiry":    func(s *authn.Session) { s.ExpiresAt = s.ExpiresAt.Add(time.Hour) },
		"organization slug": func(s *authn.Session) { s.OrganizationSlug = "acme-2" },
	}
	for name, change := range changed {
		t.Run(name, func(t *testing.T) {
			c := testSession(t0)
			change(&c)
			tok := issue(c, 2*time.Second)
			if tok == first {
				t.Fatal("a changed claim got the cached JWT")
			}
			// The new JWT is the one kept now; the old one is not answered for the old claims
			// either (one entry per session).
			if issue(c, 3*time.Second) != tok {
				t.Fatal("the new JWT is not reused")
			}
			if issue(s, 4*time.Second) == first {
				t.Fatal("a replaced JWT was answered")
			}
		})
	}

	// A window that ended: a fresh JWT with fresh times.
	s = testSession(t0)
	base := issue(s, 10*time.Second)
	fresh := issue(s, 40*time.Second)
	if fresh == base {
		t.Fatal("the window ended, yet the JWT was reused")
	}
	if _, c := parse(t, keys, fresh); c["iat"] != float64(t0.Add(40*time.Second).Unix()) {
		t.Fatalf("fresh iat %v", c["iat"])
	}

	// Forgotten (revoked in this process): signed anew.
	if issue(s, 41*time.Second) != fresh {
		t.Fatal("not reused before Forget")
	}
	j.Forget(s.MemberSessionID)
	if issue(s, 42*time.Second) == fresh {
		t.Fatal("a forgotten session's JWT was answered")
	}

	// Key rotation: once the key set signs with a new kid, no JWT signed by the old key is
	// answered, however young.
	oldKID, _ := parse(t, keys, issue(s, 43*time.Second))
	rec, err := GenerateKeyRecord(2, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.AddSigningKey(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := keys.Ensure(ctx); err != nil { // the refresh a rotation elsewhere is picked up by
		t.Fatal(err)
	}
	rotated := issue(s, 44*time.Second)
	if kid, _ := parse(t, keys, rotated); kid != rec.KID || kid == oldKID {
		t.Fatalf("after rotation the JWT is signed by %s, want %s (was %s)", kid, rec.KID, oldKID)
	}
	if issue(s, 45*time.Second) != rotated {
		t.Fatal("the new key's JWT is not reused")
	}
}

// Without a cache every JWT is signed anew.
func TestIssueWithoutReuse(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	keys := NewKeySet(&memKeys{}, func() time.Time { return t0 })
	j := SessionJWT{Keys: keys, ProjectID: "project-test-1"}
	s := testSession(t0)
	a, err := j.Issue(ctx, s, t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := j.Issue(ctx, s, t0.Add(time.Second))
	if err != nil || a == b {
		t.Fatalf("without reuse: equal JWTs %v", err)
	}
	j.Forget(s.MemberSessionID) // no cache: nothing to do, no panic
}

// Issue and Forget from many goroutines at once (run with -race).
func TestJWTReuseConcurrent(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	keys := NewKeySet(&memKeys{}, func() time.Time { return t0 })
	j := SessionJWT{Keys: keys, ProjectID: "project-test-1", Reuse: newJWTReuse(DefaultJWTReuse, 8)}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				s := testSession(t0)
				s.MemberSessionID = fmt.Sprint("member-session-test-", (g+i)%12)
				if _, err := j.Issue(ctx, s, t0.Add(time.Duration(i)*time.Second)); err != nil {
					t.Error(err)
					return
				}
				if i%7 == 0 {
					j.Forget(s.MemberSessionID)
				}
			}
		})
	}
	wg.Wait()
	if n := j.Reuse.Len(); n > 8 {
		t.Fatalf("%d entries, bound 8", n)
	}
}

// BenchmarkIssue compares signing every JWT with answering a reused one.
func BenchmarkIssue(b *testing.B) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	keys := NewKeySet(&memKeys{}, func() time.Time { return t0 })
	s := testSession(t0)
	for _, c := range []struct {
		name  string
		reuse *JWTReuse
	}{{"signed", nil}, {"reused", NewJWTReuse(DefaultJWTReuse)}} {
		j := SessionJWT{Keys: keys, ProjectID: "project-test-1", Reuse: c.reuse}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := j.Issue(ctx, s, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
