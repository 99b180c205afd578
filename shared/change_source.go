package latchkey

import "context"

// Change sources, as Stytch's webhook events name them.
const (
	ChangeSourceDirect = "DIRECT" // the API, JIT provisioning by an authenticate call included
	ChangeSourceSCIM   = "SCIM"   // an identity provider, through the SCIM routes
)

type changeSourceKey struct{}

// WithChangeSource marks what ctx's writes are done on behalf of. The store stamps it on the
// items it writes, so the event a change becomes (shared/events) can say where it came from
// without a second write.
func WithChangeSource(ctx context.Context, source string) context.Context {
	return context.WithValue(ctx, changeSourceKey{}, source)
}

// ChangeSource is ctx's source; ChangeSourceDirect when none was set.
func ChangeSource(ctx context.Context) string {
	if s, ok := ctx.Value(changeSourceKey{}).(string); ok && s != "" {
		return s
	}
	return ChangeSourceDirect
}
