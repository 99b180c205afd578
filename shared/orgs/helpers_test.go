package orgs

import (
	"net/http"
	"testing"
	"time"

	latchkey "github.com/latchkey/latchkey/shared"
)

// Fixtures for the search tests, as the core model's tests build them.
var testNow = time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)

const (
	testOrgID    = "organization-test-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11"
	testMemberID = "member-test-0b8f2f52-7a55-4a0e-8a3c-2f0b9c1d4e21"
)

func validOrg() latchkey.Organization {
	o := latchkey.NewOrganization(testOrgID, testNow)
	o.OrganizationName, o.OrganizationSlug = "Acme", "acme"
	return o
}

func validMember() latchkey.Member {
	return latchkey.Member{OrganizationID: testOrgID, MemberID: testMemberID, EmailAddress: "bob@acme.com",
		Status: latchkey.StatusActive, CreatedAt: testNow, UpdatedAt: testNow}
}

// requireBadRequest asserts a 400 with the given error_type.
func requireBadRequest(t *testing.T, err error, errType string) {
	t.Helper()
	if e := latchkey.AsError(err); err == nil || e.Status != http.StatusBadRequest || e.Type != errType {
		t.Fatalf("got %v, want 400 %q", err, errType)
	}
}
