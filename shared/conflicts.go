package latchkey

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// MaxAttempts bounds read-modify-write retries when another writer changed the item between
// our read and our conditional write.
const MaxAttempts = 5

// Backoff waits a little before retrying a conflicting write, jittered so that writers that
// collided once do not collide again in lockstep.
func Backoff(ctx context.Context, attempt int) {
	if attempt == 0 {
		return
	}
	d := time.Duration(attempt*5+rand.IntN(10*attempt)) * time.Millisecond
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

func ConcurrentUpdate() *Error {
	return Errorf(http.StatusConflict, TypeConcurrentUpdate,
		"The resource was changed by another request at the same time. Please retry.")
}

func ConflictOn(err error) string {
	var c *Conflict
	if errors.As(err, &c) {
		return c.On
	}
	return ""
}

func SlugUsed() *Error {
	return Errorf(http.StatusBadRequest, TypeSlugUsed, "The provided organization_slug is already used in another organization.")
}

func DuplicateOrgExternalID() *Error {
	return Errorf(http.StatusBadRequest, "organization_external_id_already_used",
		"The provided organization_external_id is already used by another organization.")
}

func DuplicateEmail() *Error {
	return Errorf(http.StatusBadRequest, TypeDuplicateEmail,
		"A member with this email_address already exists in this organization.")
}

// DuplicatePhoneNumber answers an MFA phone number another member of the organization has.
func DuplicatePhoneNumber() *Error {
	return Errorf(http.StatusBadRequest, "duplicate_member_phone_number",
		"A member with the specified phone number already exists for this organization.")
}

func DuplicateMemberExternalID() *Error {
	return Errorf(http.StatusBadRequest, "duplicate_member_external_id",
		"A member with this external_id already exists in this organization.")
}

// Position is a place in the organization listing (creation order).
type Position struct {
	CreatedAt time.Time
	ID        string
}

// Conflict reports which uniqueness or version condition failed.
type Conflict struct {
	On string // one of the Conflict* constants
}

func (c *Conflict) Error() string { return "conflict on " + c.On }

const (
	ConflictVersion      = "version"
	ConflictSlug         = "slug"
	ConflictExternalID   = "external_id"
	ConflictPhone        = "phone"
	ConflictSSOSubject   = "sso_subject"
	ConflictEmail        = "email"
	ConflictOrganization = "organization"
	ConflictExists       = "exists"
)

// RateCounter is one limit: at most Limit events per Window under Key.
type RateCounter struct {
	Key    string
	Window time.Duration
	Limit  int
	// CheckOnly refuses when the counter is at its limit without counting this event.
	CheckOnly bool
	// Shards spreads a busy counter over that many items (0 or 1: one item), so that no single
	// item takes every write; see Shard.
	Shards int
}

// ShardCount is how many items the counter is kept in: Shards, but never more than Limit, so
// every shard has a share of at least one.
func (c RateCounter) ShardCount() int {
	return max(1, min(c.Shards, c.Limit))
}

// Shard is shard i of a sharded counter: its own key, and its share of the limit. The shares
// add up to Limit exactly (the first Limit mod n shards take one more), so however the events
// fall on the shards, together they never count more than Limit.
func (c RateCounter) Shard(i int) RateCounter {
	n := c.ShardCount()
	if n == 1 {
		return RateCounter{Key: c.Key, Window: c.Window, Limit: c.Limit, CheckOnly: c.CheckOnly}
	}
	share := c.Limit / n
	if i < c.Limit%n {
		share++
	}
	return RateCounter{Key: fmt.Sprintf("%s#shard%d", c.Key, i), Window: c.Window, Limit: share, CheckOnly: c.CheckOnly}
}

// ErrRateLimited is returned by Hit.
var ErrRateLimited = errors.New("rate limited")
