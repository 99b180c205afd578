package latchkey

import (
	"strings"

	"github.com/google/uuid"
)

// IDs follow Stytch's shape, "<kind>-<env>-<uuid>", so SDK users recognise them and log
// filters written for Stytch keep working. env is "test" or "live", taken from the project id.
type IDs struct{ Env string }

// IDsForProject derives the id environment from a Stytch-style project id.
func IDsForProject(projectID string) IDs {
	if strings.HasPrefix(projectID, "project-live-") {
		return IDs{Env: "live"}
	}
	return IDs{Env: "test"}
}

func (i IDs) New(kind string) string { return kind + "-" + i.Env + "-" + uuid.NewString() }

// LooksLike tells whether s has the shape of an id of this kind.
func LooksLike(kind, s string) bool {
	for _, env := range []string{"test", "live"} {
		rest, ok := strings.CutPrefix(s, kind+"-"+env+"-")
		if ok {
			// Only the canonical 36-character form that New produces.
			u, err := uuid.Parse(rest)
			return err == nil && u.String() == rest
		}
	}
	return false
}

// PublicTokenFor is a project's default public token (public-token-<env>-<uuid>), which
// browser routes are called with: derived from the project id, so a deployment and the tools
// that talk to it agree on it without configuration. A public token is no secret.
func PublicTokenFor(projectID string) string {
	env := IDsForProject(projectID).Env
	return "public-token-" + env + "-" + uuid.NewSHA1(uuid.NameSpaceURL, []byte("latchkey:public-token:"+projectID)).String()
}
