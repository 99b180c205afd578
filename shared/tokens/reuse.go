package tokens

import (
	"container/list"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"time"
)

// Signing a session JWT (an RSA-2048 private-key operation) costs about 2 ms of CPU, two thirds
// of a sessions/authenticate, and apps authenticate the same session again and again. So a JWT
// signed for a session is answered again while it is young, if a fresh one would say the same:
// the same session, member, organization, roles, custom claims, authentication factors and
// session expiry, signed by the same key. Only its times differ from a fresh one's: iat, nbf,
// and last_accessed_at are those of its signing, and exp (signing + JWTLifetime) is the
// original one. With the window at most MaxJWTReuse (60 s) and JWTLifetime 5 minutes, a JWT
// answered again has 4 minutes or more to live.
//
// The cache answers only what the caller asks of it, after the caller read the session: a
// revoked or expired session fails that read, and never reaches Issue. Revoking in this process
// also forgets the session's JWT (Forget); another process's cache holds at most a JWT for a
// session that no longer authenticates there either, since every authenticate reads the table.
const (
	DefaultJWTReuse = 30 * time.Second
	MaxJWTReuse     = 60 * time.Second
	// JWTReuseEntries bounds the cache: at most 4096 sessions' JWTs, the oldest signed dropped
	// first (and any older than the window whenever one is added). A session JWT is 1-2 KB
	// (more with large custom claims), so the cache holds a few MB at most.
	JWTReuseEntries = 4096
)

// JWTReuse keeps the latest JWT signed for each session, for reuse within its window. A nil
// *JWTReuse keeps nothing.
type JWTReuse struct {
	window time.Duration
	max    int

	mu     sync.Mutex
	byID   map[string]*list.Element // member_session_id → its entry in order
	signed *list.List               // of *reusable, in the order they were kept
}

type reusable struct {
	sessionID   string
	fingerprint [sha256.Size]byte
	jwt         string
	signedAt    time.Time
}

// NewJWTReuse returns a cache answering JWTs younger than window, which is clamped to
// MaxJWTReuse; a window of zero or less keeps nothing (nil).
func NewJWTReuse(window time.Duration) *JWTReuse {
	return newJWTReuse(window, JWTReuseEntries)
}

func newJWTReuse(window time.Duration, maxEntries int) *JWTReuse {
	window = min(window, MaxJWTReuse)
	if window <= 0 {
		return nil
	}
	return &JWTReuse{window: window, max: maxEntries, byID: map[string]*list.Element{}, signed: list.New()}
}

// Window is how long a signed JWT is answered again (0: never).
func (c *JWTReuse) Window() time.Duration {
	if c == nil {
		return 0
	}
	return c.window
}

// Len is how many sessions' JWTs are kept.
func (c *JWTReuse) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.signed.Len()
}

// Holds tells whether a JWT is kept for the session, young or not.
func (c *JWTReuse) Holds(sessionID string) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.byID[sessionID]
	return ok
}

// young tells whether a JWT signed at signedAt may still be answered at now. A clock that went
// back (signedAt after now) makes it not young: a JWT is never answered before its iat.
func (c *JWTReuse) young(signedAt, now time.Time) bool {
	age := now.Sub(signedAt)
	return age >= 0 && age < c.window
}

// get returns the JWT kept for the session if it was signed for the same fingerprint and is
// young at now.
func (c *JWTReuse) get(sessionID string, fp [sha256.Size]byte, now time.Time) (string, bool) {
	if c == nil {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byID[sessionID]
	if !ok {
		return "", false
	}
	r := el.Value.(*reusable)
	if r.fingerprint != fp || !c.young(r.signedAt, now) {
		return "", false
	}
	return r.jwt, true
}

// put keeps jwt as the session's, replacing any other, and drops what is no longer young or
// beyond the bound.
func (c *JWTReuse) put(sessionID string, fp [sha256.Size]byte, jwt string, signedAt time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked(sessionID)
	for front := c.signed.Front(); front != nil; front = c.signed.Front() {
		r := front.Value.(*reusable)
		if c.signed.Len() < c.max && c.young(r.signedAt, signedAt) {
			break
		}
		c.removeLocked(r.sessionID)
	}
	c.byID[sessionID] = c.signed.PushBack(&reusable{sessionID: sessionID, fingerprint: fp, jwt: jwt, signedAt: signedAt})
}

// Forget drops the sessions' JWTs: a revoked session's is never answered again by this process.
func (c *JWTReuse) Forget(sessionIDs ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range sessionIDs {
		c.removeLocked(id)
	}
}

func (c *JWTReuse) removeLocked(sessionID string) {
	if el, ok := c.byID[sessionID]; ok {
		c.signed.Remove(el)
		delete(c.byID, sessionID)
	}
}

// fingerprint is what a JWT says but its times: the signing key's kid and every other claim.
// encoding/json writes map keys sorted, so equal claims give equal fingerprints.
func fingerprint(kid string, claims map[string]any) ([sha256.Size]byte, bool) {
	b, err := json.Marshal(claims)
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	h := sha256.New()
	h.Write([]byte(kid))
	h.Write([]byte{0})
	h.Write(b)
	var fp [sha256.Size]byte
	h.Sum(fp[:0])
	return fp, true
}
