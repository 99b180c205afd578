// Package magiclink is the email magic-link way in: login or signup, invites, discovery links
// and email updates. It sends the links, checks them when they come back (expiry, PKCE,
// redirect allow-list) and hands what they prove to authn.Login.
package magiclink
