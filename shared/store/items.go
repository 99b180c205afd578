package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	latchkey "github.com/latchkey/latchkey/shared"
)

// keys are the attributes every item may carry; empty index attributes are omitted, which
// keeps the item out of that index.
type keys struct {
	PK     string `dynamo:"pk,hash"`
	SK     string `dynamo:"sk,range"`
	GSI1PK string `dynamo:"gsi1pk,omitempty"`
	GSI1SK string `dynamo:"gsi1sk,omitempty"`
	GSI2PK string `dynamo:"gsi2pk,omitempty"`
	GSI2SK string `dynamo:"gsi2sk,omitempty"`
}

type orgItem struct {
	keys
	latchkey.Organization
	changeSource
}

type memberItem struct {
	keys
	latchkey.Member
	changeSource
}

// changeSource is on every item a webhook event is made from: what the write that left the
// item as it is was done on behalf of (latchkey.WithChangeSource), which the capture reads
// from the stream image as the event's source. It is item-only: the domain structs, and so
// the API's JSON, never carry it.
type changeSource struct {
	ChangeSource string `dynamo:"chg_src,omitempty"`
}

// AttrChangeSource is changeSource's attribute, for the writes that update items in place.
const AttrChangeSource = "chg_src"

func sourceOf(ctx context.Context) changeSource { return changeSource{latchkey.ChangeSource(ctx)} }

// guard items exist only for their key: a conditional put on it enforces uniqueness, and
// target says who holds the value.
type guard struct {
	PK     string `dynamo:"pk"`
	SK     string `dynamo:"sk"`
	Target string `dynamo:"target"`
	// Retired marks an email guard its member holds for a retired address: the address is
	// taken, but looking it up finds no member.
	Retired bool `dynamo:"retired,omitempty"`
}

const (
	skOrg      = "ORG"
	orgListing = "ORGS"
	notExists  = "attribute_not_exists(pk)"
)

func orgPK(id string) string { return "ORG#" + id }

func slugGuard(slug, orgID string) guard { return guard{PK: "SLUG#" + slug, SK: "SLUG", Target: orgID} }

func orgExtGuard(ext, orgID string) guard {
	return guard{PK: "ORGEXT#" + ext, SK: "ORGEXT", Target: orgID}
}

func emailGuard(orgID, email, memberID string) guard {
	return guard{PK: orgPK(orgID), SK: "EMAIL#" + email, Target: memberID}
}

func extGuard(orgID, ext, memberID string) guard {
	return guard{PK: orgPK(orgID), SK: "EXTID#" + ext, Target: memberID}
}

// phoneGuard keeps a member's MFA phone number unique in its organization, as Stytch does.
func phoneGuard(orgID, phone, memberID string) guard {
	return guard{PK: orgPK(orgID), SK: "PHONE#" + phone, Target: memberID}
}

// ssoSubjectGuard keeps an identity provider's subject on one member per connection: an SSO
// login that would put it on a second member (the provider changed the person's address to
// another member's, or to a new one) fails instead. The subject is hashed to bound the key.
func ssoSubjectGuard(orgID, connectionID, subject, memberID string) guard {
	sum := sha256.Sum256([]byte(subject))
	return guard{PK: orgPK(orgID), SK: "SSOSUB#" + connectionID + "#" + hex.EncodeToString(sum[:]), Target: memberID}
}

// oauthSubjectGuard does the same for a person at an OAuth provider (the key is the subject,
// with the Microsoft tenant): one member per provider account in an organization.
func oauthSubjectGuard(orgID, provider, key, memberID string) guard {
	sum := sha256.Sum256([]byte(key))
	return guard{PK: orgPK(orgID), SK: "OAUTHSUB#" + provider + "#" + hex.EncodeToString(sum[:]), Target: memberID}
}

func memberSK(id string) string { return "MEMBER#" + id }

// listingSK orders organizations by creation time; the fixed-width UTC format sorts as text.
func listingSK(createdAt time.Time, id string) string {
	return createdAt.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + id
}

func newOrgItem(ctx context.Context, o latchkey.Organization) orgItem {
	return orgItem{keys{PK: orgPK(o.OrganizationID), SK: skOrg,
		GSI2PK: orgListing, GSI2SK: listingSK(o.CreatedAt, o.OrganizationID)}, o, sourceOf(ctx)}
}

func newMemberItem(ctx context.Context, m latchkey.Member) memberItem {
	k := keys{PK: orgPK(m.OrganizationID), SK: memberSK(m.MemberID),
		GSI2PK: "MEMBER#" + m.MemberID, GSI2SK: "MEMBER"}
	if m.Status != latchkey.StatusDeleted {
		// Deleted members drop out of the by-email index, so discovery never finds them.
		k.GSI1PK, k.GSI1SK = "EMAIL#"+m.EmailAddress, orgPK(m.OrganizationID)
	}
	return memberItem{k, m, sourceOf(ctx)}
}

func (o orgItem) domain() latchkey.Organization {
	org := o.Organization
	org.FillEmpty()
	return org
}

// failedCondition returns which operation of a transaction failed its condition, or -1.
func failedCondition(err error) int {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for i, r := range tce.CancellationReasons {
			if r.Code != nil && *r.Code == "ConditionalCheckFailed" {
				return i
			}
		}
	}
	return -1
}

// tx collects writes with what a failed condition on each means. One write runs as a plain
// conditional write (half the capacity of a transaction); several run as one transaction.
type tx struct {
	ops []txOp
}

type txOp struct {
	add        func(*dynamo.WriteTx)
	alone      func(context.Context) error
	onConflict string
}

func (t *tx) put(p *dynamo.Put, onConflict string) {
	t.ops = append(t.ops, txOp{func(w *dynamo.WriteTx) { w.Put(p) }, p.Run, onConflict})
}

func (t *tx) delete(d *dynamo.Delete, onConflict string) {
	t.ops = append(t.ops, txOp{func(w *dynamo.WriteTx) { w.Delete(d) }, d.Run, onConflict})
}

func (t *tx) update(u *dynamo.Update, onConflict string) {
	t.ops = append(t.ops, txOp{func(w *dynamo.WriteTx) { w.Update(u) }, u.Run, onConflict})
}

func (t *tx) check(c *dynamo.ConditionCheck, onConflict string) {
	t.ops = append(t.ops, txOp{func(w *dynamo.WriteTx) { w.Check(c) }, nil, onConflict})
}

func (s *Store) run(ctx context.Context, t *tx) error {
	if len(t.ops) == 1 && t.ops[0].alone != nil {
		err := t.ops[0].alone(ctx)
		if dynamo.IsCondCheckFailed(err) {
			return &latchkey.Conflict{On: t.ops[0].onConflict}
		}
		return wrap(err)
	}
	w := s.db.WriteTx()
	for _, op := range t.ops {
		op.add(w)
	}
	err := w.Run(ctx)
	if i := failedCondition(err); i >= 0 && i < len(t.ops) {
		return &latchkey.Conflict{On: t.ops[i].onConflict}
	}
	return wrap(err)
}
