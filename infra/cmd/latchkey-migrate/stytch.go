package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/latchkey/latchkey/shared/stytchsource"
)

func init() { sources["stytch"] = fromStytch }

// fromStytch reads a Stytch project (or another Latchkey) through its B2B API with
// stytch-go. The secret comes only from $STYTCH_SECRET: a flag would leave it in the shell's
// history and in every process listing.
func fromStytch(ctx context.Context, c *config, stderr io.Writer) (io.ReadCloser, error) {
	secret := os.Getenv("STYTCH_SECRET")
	switch {
	case c.stytchProjectID == "":
		return nil, errors.New("--from stytch: set --stytch-project-id (or $STYTCH_PROJECT_ID) to the source project's id")
	case secret == "":
		return nil, errors.New("--from stytch: set $STYTCH_SECRET to a secret of the source project")
	}
	client, err := stytchsource.NewClient(ctx, stytchsource.Source{BaseURL: c.stytchBaseURL, ProjectID: c.stytchProjectID, Secret: secret})
	if err != nil {
		return nil, err
	}
	opts := stytchsource.Options{IncludeDeletedMembers: c.includeDeleted, OrganizationIDs: c.organizations}
	where := c.stytchBaseURL
	if where == "" {
		where = "Stytch's API"
	}
	fmt.Fprintf(stderr, "latchkey-migrate: reading project %s from %s into %s\n", c.stytchProjectID, where, c.file)
	rc, done := stytchsource.Pipe(ctx, client, opts)
	return &stytchReader{ReadCloser: rc, done: done, stderr: stderr}, nil
}

// stytchReader says, once the export has ended, what it read and what the source keeps.
type stytchReader struct {
	io.ReadCloser
	done   <-chan stytchsource.Result
	stderr io.Writer
}

func (r *stytchReader) Close() error {
	err := r.ReadCloser.Close()
	res := <-r.done
	if res.Err == nil {
		writeStytchSummary(r.stderr, res.Stats)
	}
	return err
}

func writeStytchSummary(w io.Writer, s stytchsource.Stats) {
	fmt.Fprintf(w, "latchkey-migrate: read %d organizations and %d members (%s) in %d requests (%d retried)\n",
		s.Organizations, s.Members, byStatus(s.MembersByStatus), s.Requests, s.Retries)
	if n := s.SAMLConnections + s.OIDCConnections + s.ExternalConnections + s.SCIMConnections; n > 0 {
		fmt.Fprintf(w, "latchkey-migrate: %d SAML, %d OIDC, %d external and %d SCIM connections were read and are not imported: set each up again in Latchkey and re-point its IdP at the new URLs\n",
			s.SAMLConnections, s.OIDCConnections, s.ExternalConnections, s.SCIMConnections)
	}
	ne := s.NotExported
	if ne.Passwords > 0 {
		fmt.Fprintf(w, "latchkey-migrate: %d members have a password Stytch's API does not export: they log in by another method, or reset it, or import the hashes from a file Stytch support gives you\n", ne.Passwords)
	}
	if ne.TOTPs > 0 {
		fmt.Fprintf(w, "latchkey-migrate: %d members have a TOTP registration Stytch's API does not export: they enrol an authenticator again\n", ne.TOTPs)
	}
	for _, sk := range s.Skipped {
		fmt.Fprintf(w, "latchkey-migrate: skipped %s %s (organization %s): %s\n", sk.Type, sk.ID, sk.OrganizationID, sk.Reason)
	}
}

func byStatus(m map[string]int) string {
	var parts []string
	for _, st := range []string{"active", "invited", "pending", "deleted"} {
		if m[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[st], st))
		}
	}
	for st, n := range m {
		if st != "active" && st != "invited" && st != "pending" && st != "deleted" && n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
