// Package safehttp fetches URLs that customers configure (SAML IdP metadata, OIDC discovery
// documents, JWKS, token and userinfo endpoints) without letting those URLs reach Latchkey's own
// network: instance metadata, VPC-internal services, loopback. A customer who could point a
// metadata URL at 169.254.169.254 would otherwise read the function's AWS credentials.
//
// Names are judged where they are dialled, after DNS resolution, so a hostname that resolves to
// a public address when configured and to an internal one when fetched (DNS rebinding) is still
// refused. The same check runs for every address the dialler tries and every redirect hop.
package safehttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is wrapped by every error that means the policy stopped a request or a response,
// as opposed to the remote end failing, so callers can tell a customer "this URL is not allowed"
// rather than "your IdP is down".
var ErrRefused = errors.New("safehttp: refused")

const (
	defaultTimeout  = 10 * time.Second
	defaultMaxBytes = 1 << 20
	maxURLLength    = 2048
	maxRedirects    = 5
	// Connection setup gets a shorter bound than the whole request so a black-holed address
	// fails fast rather than eating the request's budget.
	connectTimeout = 5 * time.Second
	// Headers are not covered by MaxBytes; net/http's default allows 1 MiB of them.
	maxHeaderBytes = 64 << 10
)

// Policy says which targets are allowed.
type Policy struct {
	// AllowLoopback permits http:// and https:// to loopback addresses (127.0.0.0/8, ::1,
	// "localhost"): for make dev and tests, where the identity providers run in-process. Never
	// set in AWS.
	AllowLoopback bool
	Timeout       time.Duration // whole request; 0 means 10s
	MaxBytes      int64         // response body bound; 0 means 1 MiB
}

func (p Policy) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return defaultTimeout
}

func (p Policy) maxBytes() int64 {
	if p.MaxBytes > 0 {
		return p.MaxBytes
	}
	return defaultMaxBytes
}

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// CheckURL is the static check of a URL, for validating configuration when it is saved. It cannot
// judge a hostname (that happens at dial time), only an address literal.
func (p Policy) CheckURL(raw string) error {
	if len(raw) > maxURLLength {
		return refuse("URL longer than %d bytes", maxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return refuse("unparseable URL")
	}
	// Credentials in a URL end up in logs and error messages, and "https://idp.example@evil/"
	// misleads whoever reviews the configuration.
	if u.User != nil {
		return refuse("URL carries userinfo")
	}
	host := u.Hostname()
	if host == "" {
		return refuse("URL has no host")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return refuse("port %q out of range", port)
		}
	}
	switch u.Scheme {
	case "https":
	case "http":
		// Plain http would let anyone on the path swap the IdP's signing keys. This also refuses
		// an https->http redirect, since every hop goes through here.
		if !p.AllowLoopback || !loopbackHost(host) {
			return refuse("plain http is allowed only to loopback in development")
		}
	default:
		return refuse("scheme %q not allowed", u.Scheme)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return checkAddr(a, p.AllowLoopback)
	}
	return nil
}

func loopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.WithZone("").Unmap().IsLoopback()
}

type refusedRange struct {
	prefix netip.Prefix
	what   string
}

// refusedRanges are the non-loopback ranges no customer URL may reach. Loopback is handled apart
// because AllowLoopback lifts it.
var refusedRanges = []refusedRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network (0.0.0.0/8)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private (RFC 1918)"},
	// EKS pod networking and some AWS services live here.
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT shared space"},
	// 169.254.169.254 is EC2/Lambda instance metadata, 169.254.170.2 the ECS credentials endpoint.
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (instance metadata)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private (RFC 1918)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private (RFC 1918)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved or broadcast"},

	// The kernel routes ::a.b.c.d to the embedded IPv4 address on some systems.
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	// No IdP is served from protocol-assignment space; it holds Teredo (2001::/32), whose
	// embedded IPv4 address is obfuscated and so cannot be checked.
	{netip.MustParsePrefix("2001::/23"), "IETF protocol assignments"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("3fff::/20"), "documentation"},
	// fd00:ec2::254 is the EC2 IPv6 instance metadata address, fd00:ec2::23 the VPC resolver.
	{netip.MustParsePrefix("fc00::/7"), "unique local (fc00::/7, incl. instance metadata)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// embeddedIPv4 returns the IPv4 address a NAT64 or 6to4 gateway would forward to. In an IPv6-only
// subnet, Route 53 DNS64 turns an A record for 169.254.169.254 into 64:ff9b::a9fe:a9fe and the NAT
// gateway carries it back to IPv4.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixTo4.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// checkAddr is the classifier: nil means a connection to a may be made.
func checkAddr(a netip.Addr, allowLoopback bool) error {
	if why := refusal(a, allowLoopback); why != "" {
		return refuse("%s is %s", a, why)
	}
	return nil
}

// refusal says why a may not be reached, or "" if it may.
func refusal(a netip.Addr, allowLoopback bool) string {
	// A zone would make every Prefix.Contains below false, and ::ffff:10.0.0.1 is 10.0.0.1 on
	// the wire.
	a = a.WithZone("").Unmap()
	switch {
	case !a.IsValid():
		return "not an address"
	case a.IsLoopback():
		if allowLoopback {
			return ""
		}
		return "a loopback address"
	case a.IsUnspecified():
		return "the unspecified address"
	}
	if v4, ok := embeddedIPv4(a); ok {
		// The gateway, not this host, would answer for an embedded loopback address, so it is
		// never allowed.
		if why := refusal(v4, false); why != "" {
			return fmt.Sprintf("forwarded to %s, which is %s", v4, why)
		}
	}
	for _, r := range refusedRanges {
		if r.prefix.Contains(a) {
			return r.what
		}
	}
	// A backstop for anything the table misses.
	if !a.IsGlobalUnicast() {
		return "not a global unicast address"
	}
	return ""
}

// dialer checks the address it is about to connect to, after DNS resolution, for every address
// it tries.
func (p Policy) dialer(check func(netip.Addr) error) *net.Dialer {
	return &net.Dialer{
		Timeout:   min(connectTimeout, p.timeout()),
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			if network != "tcp4" && network != "tcp6" {
				return refuse("network %q", network)
			}
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return refuse("dial address %q", address)
			}
			return check(ap.Addr())
		},
	}
}

func (p Policy) transport(check func(netip.Addr) error) *http.Transport {
	return &http.Transport{
		// HTTPS_PROXY in the environment must not become a way to reach hosts the dialler
		// refuses: the dialler would only ever see the proxy's address.
		Proxy:       nil,
		DialContext: p.dialer(check).DialContext,
		// A custom DialContext turns HTTP/2 off unless asked for.
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: min(connectTimeout, p.timeout()),
		// Kept even though Client sets Timeout: x/oauth2 builds its own http.Client around this
		// transport and drops that Timeout.
		ResponseHeaderTimeout:  p.timeout(),
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
}

// Client returns the client to hand to libraries (go-oidc, x/oauth2). It enforces the policy
// at dial time and on every redirect. Build it once and reuse it: each call has its own
// connection pool.
func (p Policy) Client() *http.Client {
	return &http.Client{
		Transport: &guardedTransport{
			policy: p,
			secure: p.transport(func(a netip.Addr) error { return checkAddr(a, p.AllowLoopback) }),
			plain:  p.transport(checkPlainAddr),
		},
		// The transport re-checks every hop too; this is here for the redirect count and
		// because a library may swap the transport while keeping the client.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return refuse("more than %d redirects", maxRedirects)
			}
			return p.CheckURL(req.URL.String())
		},
		Timeout: p.timeout(),
	}
}

// checkPlainAddr is the dial check for http:// URLs: CheckURL admits them only for loopback
// names, and this makes sure "localhost" did not resolve elsewhere, since nothing would protect
// the bytes on the way there.
func checkPlainAddr(a netip.Addr) error {
	if a.WithZone("").Unmap().IsLoopback() {
		return nil
	}
	return refuse("plain http to %s: only loopback may be reached without TLS", a)
}

// guardedTransport runs CheckURL on every request, including the first one, which
// http.Client.CheckRedirect never sees, and bounds every response body. x/oauth2 wraps the
// transport in a client of its own, so this is the check that cannot be lost.
type guardedTransport struct {
	policy Policy
	secure *http.Transport
	plain  *http.Transport
}

func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.policy.CheckURL(req.URL.String()); err != nil {
		// RoundTrip owns the request body, even on error.
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	next := t.secure
	if req.URL.Scheme == "http" {
		next = t.plain
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	limit := t.policy.maxBytes()
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, refuse("response of %d bytes exceeds the %d-byte bound", resp.ContentLength, limit)
	}
	resp.Body = &boundedBody{body: resp.Body, left: limit, limit: limit}
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the inner pools.
func (t *guardedTransport) CloseIdleConnections() {
	t.secure.CloseIdleConnections()
	t.plain.CloseIdleConnections()
}

// boundedBody fails, rather than truncating, once a body passes its limit: a silently truncated
// JWKS or metadata document would fail later with a misleading parse error, or parse as a
// shorter, different document.
type boundedBody struct {
	body  io.ReadCloser
	left  int64 // -1 once the limit was passed
	limit int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.tooLarge()
	}
	// One byte past the limit is enough to know the body is too large.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.body.Read(p)
	if int64(n) > b.left {
		n = int(b.left)
		b.left = -1
		return n, b.tooLarge()
	}
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) tooLarge() error {
	return refuse("response body exceeds the %d-byte bound", b.limit)
}

func (b *boundedBody) Close() error { return b.body.Close() }

// Get fetches rawURL with the policy's bounds. A non-2xx answer is an error; so is a body larger
// than MaxBytes.
func (p Policy) Get(ctx context.Context, rawURL string) ([]byte, error) {
	if err := p.CheckURL(rawURL); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	c := p.Client()
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Only the host: query strings of metadata URLs can carry tenant keys, and the error may
		// be shown to the customer's admin.
		return nil, fmt.Errorf("safehttp: %s answered %s", req.URL.Host, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return body, nil
}
