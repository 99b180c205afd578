package stytchsource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
)

// Source is the Stytch project (or Latchkey) to read.
type Source struct {
	// BaseURL is the API's base URL: Stytch's live or test API, or another Latchkey. Empty
	// lets stytch-go choose from the project id (project-live-… or project-test-…).
	BaseURL   string
	ProjectID string
	Secret    string
	// HTTPClient, if set, carries the requests; its Transport is wrapped, not replaced.
	HTTPClient *http.Client
	// AllowHTTP permits a plain-http BaseURL on a host other than loopback. The secret travels
	// in every request's Basic authorization, so this is off by default.
	AllowHTTP bool
}

// NewClient builds the stytch-go client Export reads through. Export works with any
// *b2bstytchapi.API, but only a client from NewClient lets it write each object with the
// server's own bytes: stytch-go's structs drop fields v18 does not know and, through their
// omitempty tags, empty lists and false booleans.
//
// It skips stytch-go's JWKS fetch: the export verifies no session, and the fetch would be one
// more request that must succeed against every base URL.
func NewClient(ctx context.Context, src Source) (*b2bstytchapi.API, error) {
	if src.ProjectID == "" || src.Secret == "" {
		return nil, errors.New("stytchsource: the project id and secret are required")
	}
	opts := []b2bstytchapi.Option{b2bstytchapi.WithSkipJWKSInitialization(), b2bstytchapi.WithInitializationContext(ctx)}
	if src.BaseURL != "" {
		if err := checkBaseURL(src.BaseURL, src.AllowHTTP); err != nil {
			return nil, err
		}
		opts = append(opts, b2bstytchapi.WithBaseURI(strings.TrimRight(src.BaseURL, "/")))
	}
	hc := &http.Client{Timeout: requestTimeout}
	if src.HTTPClient != nil {
		c := *src.HTTPClient
		hc = &c
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = captureTransport{base: base}
	opts = append(opts, b2bstytchapi.WithHTTPClient(hc))
	return b2bstytchapi.NewClient(src.ProjectID, src.Secret, opts...)
}

// requestTimeout bounds one request. Stytch documents search taking up to 9 seconds.
const requestTimeout = 2 * time.Minute

func checkBaseURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("stytchsource: base URL %q must be an absolute http(s) URL without credentials", raw)
	}
	if u.Scheme == "http" && !allowHTTP && !isLoopback(u.Hostname()) {
		return fmt.Errorf("stytchsource: base URL %q is plain http on a non-loopback host: the project secret would cross the network in clear", raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// maxBody bounds one captured response; a page of 1000 members is a few megabytes.
const maxBody = 64 << 20

// capture is where captureTransport leaves the response of the one request made under a
// context that carries it.
type capture struct {
	filled     bool
	status     int
	retryAfter string
	body       []byte
}

type captureKey struct{}

func withCapture(ctx context.Context) (context.Context, *capture) {
	c := &capture{}
	return context.WithValue(ctx, captureKey{}, c), c
}

// captureTransport keeps a copy of the response body (and status) for the caller that put a
// capture in the request's context. stytch-go decodes the body into its structs and discards
// it; the copy is what lets Export write the server's bytes.
type captureTransport struct{ base http.RoundTripper }

func (t captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	c, _ := req.Context().Value(captureKey{}).(*capture)
	if err != nil || c == nil {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("stytchsource: response larger than %d bytes", maxBody)
	}
	*c = capture{filled: true, status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: body}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
