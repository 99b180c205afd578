package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/migrate"
)

func importMember(org, email string) migrate.MemberWrite {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return migrate.MemberWrite{Next: latchkey.Member{OrganizationID: org, MemberID: latchkey.IDs{Env: "test"}.New("member"),
		EmailAddress: email, Status: latchkey.StatusActive, ExternalID: "ext-" + email, CreatedAt: now, UpdatedAt: now}}
}

// Several members go in one transaction; one member's failed guard cancels it, names that
// member, and leaves the others to be tried again, with nothing of any of them written.
func TestWriteMembersAttributesConflicts(t *testing.T) {
	ctx := context.Background()
	st := env.App.Store
	org, _, taken := setup(t)
	ws := []migrate.MemberWrite{importMember(org, "w1@acme.com"), importMember(org, taken), importMember(org, "w3@acme.com")}
	errs := st.WriteMembers(ctx, ws)
	if latchkey.ConflictOn(errs[1]) != latchkey.ConflictEmail || !errors.Is(errs[0], migrate.ErrNotAttempted) || !errors.Is(errs[2], migrate.ErrNotAttempted) {
		t.Fatalf("errors %v", errs)
	}
	states, err := st.LookupMembers(ctx, []migrate.MemberQuery{{OrganizationID: org, Email: "w1@acme.com", ExternalID: "ext-w1@acme.com"}})
	if err != nil || states[0].EmailHolder != "" || states[0].ExternalOwner != "" || states[0].Member != nil {
		t.Fatalf("a cancelled write left items: %+v %v", states, err)
	}
	// Without the colliding one, both are written, and found again by address and by id.
	if errs := st.WriteMembers(ctx, []migrate.MemberWrite{ws[0], ws[2]}); errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors %v", errs)
	}
	states, err = st.LookupMembers(ctx, []migrate.MemberQuery{
		{OrganizationID: org, Email: "w1@acme.com", ExternalID: "ext-w1@acme.com", TOTP: true},
		{OrganizationID: org, Email: "w3@acme.com", MemberID: ws[2].Next.MemberID, Password: true, PasswordOrg: org},
		{OrganizationID: org, Email: "nobody@acme.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := states[0]; s.EmailHolder != ws[0].Next.MemberID || s.ExternalOwner != ws[0].Next.MemberID || s.Member == nil || s.Member.Version != 1 || s.TOTP != nil {
		t.Fatalf("by address: %+v", s)
	}
	if s := states[1]; s.Member == nil || s.Member.EmailAddress != "w3@acme.com" || s.Password != nil {
		t.Fatalf("by id: %+v", s)
	}
	if s := states[2]; s != (migrate.MemberState{}) {
		t.Fatalf("nobody: %+v", s)
	}
	// A create in an organization that is gone fails on the organization.
	gone := importMember("organization-test-00000000-0000-4000-8000-00000000dead", "x@acme.com")
	if errs := st.WriteMembers(ctx, []migrate.MemberWrite{gone}); latchkey.ConflictOn(errs[0]) != latchkey.ConflictOrganization {
		t.Fatalf("missing organization: %v", errs)
	}
}

func TestRetryable(t *testing.T) {
	st := env.App.Store
	reason := func(code string) error {
		return &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{{Code: aws.String("None")}, {Code: aws.String(code)}}}
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{reason("TransactionConflict"), true},
		{reason("ThrottlingError"), true},
		{reason("ProvisionedThroughputExceeded"), true},
		{reason("ConditionalCheckFailed"), false},
		{&types.ProvisionedThroughputExceededException{}, true},
		{&smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{&types.TransactionConflictException{}, true},
		{&smithy.GenericAPIError{Code: "ValidationException"}, false},
		{&types.ResourceNotFoundException{}, false},
		{errors.New("boom"), false},
	} {
		if got := st.Retryable(c.err); got != c.want {
			t.Errorf("%T %v: %v, want %v", c.err, c.err, got, c.want)
		}
	}
}
