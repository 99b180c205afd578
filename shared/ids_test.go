package latchkey

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestIDsForProject(t *testing.T) {
	tests := []struct{ project, env string }{
		{"project-live-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11", "live"},
		{"project-test-6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11", "test"},
		{"project-live-", "live"},
		{"", "test"},
		{"live", "test"},
		{"my-project-live-1", "test"},
		{"PROJECT-LIVE-1", "test"},
	}
	for _, tt := range tests {
		if got := IDsForProject(tt.project).Env; got != tt.env {
			t.Errorf("IDsForProject(%q).Env = %q, want %q", tt.project, got, tt.env)
		}
	}
}

func TestIDsNew(t *testing.T) {
	tests := []struct {
		project, kind, prefix string
	}{
		{"project-test-1", "organization", "organization-test-"},
		{"project-test-1", "member", "member-test-"},
		{"project-live-1", "organization", "organization-live-"},
		{"project-live-1", "member", "member-live-"},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			ids := IDsForProject(tt.project)
			id := ids.New(tt.kind)
			rest, ok := strings.CutPrefix(id, tt.prefix)
			if !ok {
				t.Fatalf("New(%q) = %q, want prefix %q", tt.kind, id, tt.prefix)
			}
			u, err := uuid.Parse(rest)
			if err != nil || u.String() != rest {
				t.Fatalf("New(%q) = %q: suffix %q is not a canonical uuid (%v)", tt.kind, id, rest, err)
			}
			if !LooksLike(tt.kind, id) {
				t.Errorf("LooksLike(%q, %q) = false for a fresh id", tt.kind, id)
			}
			if other := ids.New(tt.kind); other == id {
				t.Errorf("New returned %q twice", id)
			}
		})
	}
}

func TestLooksLike(t *testing.T) {
	const u = "6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11"
	tests := []struct {
		kind, s string
		want    bool
	}{
		{"organization", "organization-test-" + u, true},
		{"organization", "organization-live-" + u, true},
		{"member", "member-test-" + u, true},
		{"member", "member-live-" + u, true},
		{"member", "organization-test-" + u, false},
		{"organization", "member-test-" + u, false},
		{"org", "organization-test-" + u, false},
		{"organization", "org-test-" + u, false},
		{"organization", "organization-prod-" + u, false},
		{"organization", "organization-" + u, false},
		{"organization", "organization-test-", false},
		{"organization", "organization-test-not-a-uuid", false},
		{"organization", "organization-test-" + u[:35], false},
		{"organization", "organization-test-" + u + "0", false},
		{"organization", "organization-test-" + u + "-extra", false},
		{"organization", "organization-test-" + strings.ReplaceAll(u, "6", "g"), false},
		{"organization", "Organization-test-" + u, false},
		{"organization", "organization-TEST-" + u, false},
		{"organization", " organization-test-" + u, false},
		{"organization", "acme", false},
		{"organization", "", false},
	}
	for _, tt := range tests {
		if got := LooksLike(tt.kind, tt.s); got != tt.want {
			t.Errorf("LooksLike(%q, %q) = %v, want %v", tt.kind, tt.s, got, tt.want)
		}
	}
}

func TestLooksLikeOnlyCanonicalUUIDs(t *testing.T) {
	for _, s := range []string{
		"organization-test-6f7d3c524c5e4f0e9d4a0d3f2f1b6a11",
		"organization-test-{6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11}",
		"organization-test-urn:uuid:6f7d3c52-4c5e-4f0e-9d4a-0d3f2f1b6a11",
		"organization-test-6F7D3C52-4C5E-4F0E-9D4A-0D3F2F1B6A11",
	} {
		if LooksLike("organization", s) {
			t.Errorf("LooksLike accepted %q", s)
		}
	}
}
