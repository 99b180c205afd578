package magiclink

import (
	"fmt"
	"html"

	latchkey "github.com/latchkey/latchkey/shared"
)

// LinkMessage is the email for a magic link of the given kind.
func LinkMessage(kind, to, orgName, link string, valid string) latchkey.Message {
	// The organization name is the one piece of client data in the subject: a CR or LF in it
	// must not start a new header line.
	orgName = latchkey.HeaderSafe(orgName)
	var subject, lead, action string
	switch kind {
	case TokenInvite:
		subject, lead, action = "You're invited to "+orgName, "You have been invited to join "+orgName+".", "Accept the invite"
	case TokenSignup:
		subject, lead, action = "Finish signing up for "+orgName, "Use this link to finish creating your account in "+orgName+".", "Finish signing up"
	case TokenEmailUpdate:
		subject, lead, action = "Confirm your new email address for "+orgName, "Use this link to make this your email address in "+orgName+".", "Confirm this address"
	case TokenDiscovery:
		subject, lead, action = "Your login link", "Use this link to log in and see your organizations.", "Log in"
	default:
		subject, lead, action = "Your login link for "+orgName, "Use this link to log in to "+orgName+".", "Log in"
	}
	text := fmt.Sprintf("%s\n\n%s: %s\n\nThe link works once and expires in %s. If you did not ask for it, ignore this email.\n",
		lead, action, link, valid)
	body := fmt.Sprintf(`<!doctype html><html><body style="font-family:sans-serif">
<p>%s</p>
<p><a href="%s" style="display:inline-block;padding:10px 16px;background:#1f2937;color:#fff;text-decoration:none;border-radius:6px">%s</a></p>
<p style="color:#6b7280">The link works once and expires in %s. If you did not ask for it, ignore this email.</p>
</body></html>`, html.EscapeString(lead), html.EscapeString(link), html.EscapeString(action), html.EscapeString(valid))
	return latchkey.Message{To: to, Subject: subject, Text: text, HTML: body}
}
