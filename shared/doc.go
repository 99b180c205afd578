// Package latchkey is the domain of Latchkey: organizations, members, their settings and the
// rules that govern them. It has no AWS or HTTP dependencies; shared/store persists it in
// DynamoDB, shared/api serves it over HTTP in Stytch's B2B wire format.
package latchkey
