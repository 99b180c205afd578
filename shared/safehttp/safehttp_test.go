package safehttp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var dev = Policy{AllowLoopback: true}

// server is an httptest server on 127.0.0.1 that counts the connections it accepts, so a test
// can show a refusal happened before connecting.
type server struct {
	*httptest.Server
	conns atomic.Int32
}

func newServer(t *testing.T, tlsOn bool, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if tlsOn {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// port is the server's port, for building URLs on other names for the same listener.
func (s *server) port(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// trusting returns p's client with the httptest certificate trusted: the server's certificate
// is self-signed, and Policy deliberately has no knob for extra roots.
func trusting(t *testing.T, p Policy, s *server) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	c := p.Client()
	c.Transport.(*guardedTransport).secure.TLSClientConfig = &tls.Config{RootCAs: pool}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func ok(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }

func wantRefused(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v, want one wrapping ErrRefused", err)
	}
}

func TestCheckURL(t *testing.T) {
	long := "https://idp.example.com/"
	long += strings.Repeat("a", maxURLLength-len(long))
	tests := []struct {
		url       string
		prod, dev bool // allowed without and with AllowLoopback
	}{
		{"https://idp.example.com/.well-known/openid-configuration", true, true},
		{"HTTPS://IDP.EXAMPLE.COM/metadata?x=1", true, true},
		{"https://idp.example.com:8443/saml/metadata", true, true},
		{"https://8.8.8.8/", true, true},
		{"https://[2606:4700::1111]/", true, true},
		{long, true, true},
		{long + "a", false, false},

		// Names are judged at dial time; statically only address literals can be.
		{"https://localhost/", true, true},
		{"https://127.0.0.1/", false, true},
		{"https://[::1]/", false, true},
		{"https://[::ffff:127.0.0.1]/", false, true},

		{"http://idp.example.com/", false, false},
		{"http://8.8.8.8/", false, false},
		{"http://127.0.0.1:8080/", false, true},
		{"http://127.0.0.2/", false, true},
		{"http://[::1]:8080/", false, true},
		{"http://[::ffff:127.0.0.1]/", false, true},
		{"http://localhost:8080/", false, true},
		{"http://LocalHost./", false, true},
		{"http://localhost.example.com/", false, false},
		{"http://2130706433/", false, false}, // 127.0.0.1 as a number is not a loopback literal

		{"https://169.254.169.254/latest/meta-data/", false, false},
		{"http://169.254.169.254/latest/meta-data/", false, false},
		{"https://[fd00:ec2::254]/", false, false},
		{"https://10.0.0.1/", false, false},
		{"https://192.168.1.1/", false, false},
		{"https://[fe80::1%25eth0]/", false, false},
		{"https://[::ffff:169.254.169.254]/", false, false},
		{"https://0.0.0.0/", false, false},

		{"https://user:pass@idp.example.com/", false, false},
		{"https://user@idp.example.com/", false, false},
		{"https://@idp.example.com/", false, false},
		{"https://idp.example.com@10.0.0.1/", false, false},

		{"", false, false},
		{"/relative/path", false, false},
		{"https:///no-host", false, false},
		{"https:idp.example.com", false, false},
		{"https://:443/", false, false},
		{"https://idp.example.com:0/", false, false},
		{"https://idp.example.com:65536/", false, false},
		{"ftp://idp.example.com/", false, false},
		{"file:///etc/passwd", false, false},
		{"gopher://127.0.0.1:6379/", false, false},
		{"ws://localhost/", false, false},
		{"https://idp.example.com/\x00", false, false},
	}
	for _, tc := range tests {
		for _, c := range []struct {
			p    Policy
			want bool
		}{{Policy{}, tc.prod}, {dev, tc.dev}} {
			err := c.p.CheckURL(tc.url)
			if c.want && err != nil {
				t.Errorf("AllowLoopback=%v CheckURL(%q) = %v, want nil", c.p.AllowLoopback, tc.url, err)
			}
			if !c.want && !errors.Is(err, ErrRefused) {
				t.Errorf("AllowLoopback=%v CheckURL(%q) = %v, want ErrRefused", c.p.AllowLoopback, tc.url, err)
			}
		}
	}
}

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr      string
		prod, dev bool // allowed without and with AllowLoopback
	}{
		// Public.
		{"8.8.8.8", true, true},
		{"1.1.1.1", true, true},
		{"52.94.236.248", true, true},
		{"11.0.0.1", true, true},
		{"100.63.255.255", true, true},
		{"100.128.0.0", true, true},
		{"169.253.255.255", true, true},
		{"169.255.0.0", true, true},
		{"172.15.255.255", true, true},
		{"172.32.0.0", true, true},
		{"192.167.255.255", true, true},
		{"192.169.0.0", true, true},
		{"223.255.255.255", true, true},
		{"2606:4700::1111", true, true},
		{"2001:4860:4860::8888", true, true},
		{"2a05:d018::1", true, true},
		{"::ffff:8.8.8.8", true, true},
		{"64:ff9b::808:808", true, true}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", true, true},  // 6to4 of 8.8.8.8

		// Loopback.
		{"127.0.0.1", false, true},
		{"127.0.0.2", false, true},
		{"127.255.255.254", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true},

		// Private, link-local, metadata, shared and special-purpose space, in every spelling.
		{"10.0.0.1", false, false},
		{"10.255.255.255", false, false},
		{"172.16.0.1", false, false},
		{"172.31.255.255", false, false},
		{"192.168.0.1", false, false},
		{"192.168.255.255", false, false},
		{"169.254.169.254", false, false},
		{"169.254.169.123", false, false},
		{"169.254.170.2", false, false},
		{"169.254.0.1", false, false},
		{"100.64.0.1", false, false},
		{"100.127.255.255", false, false},
		{"0.0.0.0", false, false},
		{"0.1.2.3", false, false},
		{"192.0.0.1", false, false},
		{"192.0.2.1", false, false},
		{"198.18.0.1", false, false},
		{"198.51.100.1", false, false},
		{"203.0.113.1", false, false},
		{"224.0.0.1", false, false},
		{"239.255.255.250", false, false},
		{"240.0.0.1", false, false},
		{"255.255.255.255", false, false},
		{"::", false, false},
		{"fc00::1", false, false},
		{"fd00:ec2::254", false, false},
		{"fd00:ec2::23", false, false},
		{"fd12:3456:789a::1", false, false},
		{"fe80::1", false, false},
		{"fe80::1%eth0", false, false},
		{"febf::1", false, false},
		{"fec0::1", false, false},
		{"ff02::1", false, false},
		{"ff05::1:3", false, false},
		{"::ffff:10.0.0.1", false, false},
		{"::ffff:169.254.169.254", false, false},
		{"::ffff:0.0.0.0", false, false},
		{"::ffff:100.64.0.1", false, false},
		{"::127.0.0.1", false, false}, // IPv4-compatible
		{"::a00:1", false, false},
		{"64:ff9b::a9fe:a9fe", false, false}, // NAT64 of 169.254.169.254
		{"64:ff9b::a00:1", false, false},
		{"64:ff9b::7f00:1", false, false}, // NAT64 of 127.0.0.1: the gateway's loopback, not ours
		{"64:ff9b:1::1", false, false},
		{"2002:a9fe:a9fe::1", false, false}, // 6to4 of 169.254.169.254
		{"2002:7f00:1::1", false, false},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", false, false}, // Teredo
		{"2001:db8::1", false, false},
		{"3fff::1", false, false},
		{"100::1", false, false},
	}
	for _, tc := range tests {
		a, err := netip.ParseAddr(tc.addr)
		if err != nil {
			t.Fatalf("ParseAddr(%q): %v", tc.addr, err)
		}
		for _, c := range []struct {
			allowLoopback, want bool
		}{{false, tc.prod}, {true, tc.dev}} {
			err := checkAddr(a, c.allowLoopback)
			if c.want && err != nil {
				t.Errorf("checkAddr(%s, allowLoopback=%v) = %v, want nil", a, c.allowLoopback, err)
			}
			if !c.want && !errors.Is(err, ErrRefused) {
				t.Errorf("checkAddr(%s, allowLoopback=%v) = %v, want ErrRefused", a, c.allowLoopback, err)
			}
		}
	}
	if err := checkAddr(netip.Addr{}, true); !errors.Is(err, ErrRefused) {
		t.Errorf("checkAddr(zero Addr) = %v, want ErrRefused", err)
	}
}

// TestLoopbackRefusedWithoutAllowLoopback refuses loopback targets in every spelling, over
// http and https, without connecting, when loopback is not allowed (as in AWS).
func TestLoopbackRefusedWithoutAllowLoopback(t *testing.T) {
	plain := newServer(t, false, ok)
	secure := newServer(t, true, ok)
	for _, u := range []string{
		plain.URL,
		secure.URL,
		"http://localhost:" + plain.port(t) + "/",
		"https://localhost:" + secure.port(t) + "/",
		"https://[::ffff:127.0.0.1]:" + secure.port(t) + "/",
		"https://[::1]:" + secure.port(t) + "/",
	} {
		_, err := Policy{}.Get(context.Background(), u)
		wantRefused(t, err)
		_, err = Policy{}.Client().Get(u)
		wantRefused(t, err)
	}
	if n := plain.conns.Load() + secure.conns.Load(); n != 0 {
		t.Errorf("servers accepted %d connections, want 0", n)
	}
}

// TestLocalhostRefusedAtDial shows the check that matters against DNS rebinding: the URL passes
// the static check, and the address "localhost" resolves to is refused before connecting.
func TestLocalhostRefusedAtDial(t *testing.T) {
	s := newServer(t, true, ok)
	u := "https://localhost:" + s.port(t) + "/"
	if err := (Policy{}).CheckURL(u); err != nil {
		t.Fatalf("CheckURL(%q) = %v; the static check cannot know where a name resolves", u, err)
	}
	_, err := Policy{}.Get(context.Background(), u)
	wantRefused(t, err)
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "dial" {
		t.Errorf("err = %v, want a refused dial", err)
	}
	if n := s.conns.Load(); n != 0 {
		t.Errorf("server accepted %d connections, want 0", n)
	}
}

func TestLoopbackAllowed(t *testing.T) {
	plain := newServer(t, false, ok)
	secure := newServer(t, true, ok)

	for _, u := range []string{plain.URL, "http://localhost:" + plain.port(t) + "/"} {
		body, err := dev.Get(context.Background(), u)
		if err != nil || string(body) != "ok" {
			t.Errorf("Get(%q) = %q, %v; want \"ok\"", u, body, err)
		}
	}

	resp, err := trusting(t, dev, secure).Get(secure.URL)
	if err != nil {
		t.Fatalf("Get(%q): %v", secure.URL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
}

func TestClientChecksFirstRequest(t *testing.T) {
	// Libraries call the client directly, so CheckRedirect alone would miss the first URL.
	for _, u := range []string{"http://idp.example.com/", "https://169.254.169.254/", "ftp://idp.example.com/"} {
		_, err := Policy{}.Client().Get(u)
		wantRefused(t, err)
	}
}

// TestRedirectToRefusedTarget refuses a redirect from an allowed server to instance metadata,
// private addresses, plain http or another scheme, without connecting to the target.
func TestRedirectToRefusedTarget(t *testing.T) {
	targets := []string{
		"http://169.254.169.254/latest/meta-data/iam/security-credentials/",
		"https://169.254.169.254/latest/meta-data/",
		"http://[fd00:ec2::254]/latest/meta-data/",
		"https://[fd00:ec2::254]/latest/meta-data/",
		"http://10.0.0.1/",
		"https://10.0.0.1/",
		"https://[::ffff:10.0.0.1]/",
		"https://192.168.0.1/",
		"http://idp.example.com/", // plain http to anything but loopback
		"file:///etc/passwd",
		"https://user:pass@idp.example.com/",
	}
	for _, target := range targets {
		s := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, http.StatusFound)
		})
		start := time.Now()
		_, err := dev.Get(context.Background(), s.URL)
		// A dial that was attempted would fail with a network error or time out, neither of
		// which wraps ErrRefused.
		wantRefused(t, err)
		if d := time.Since(start); d > time.Second {
			t.Errorf("redirect to %s took %v to refuse; was a connection attempted?", target, d)
		}
		_, err = dev.Client().Get(s.URL)
		wantRefused(t, err)
	}
}

func TestRedirectHTTPSToLoopbackHTTP(t *testing.T) {
	plain := newServer(t, false, ok)
	secure := newServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL, http.StatusFound)
	})
	resp, err := trusting(t, dev, secure).Get(secure.URL)
	if err != nil {
		t.Fatalf("https->http to loopback with AllowLoopback: %v", err)
	}
	resp.Body.Close()
	if plain.conns.Load() == 0 {
		t.Error("the redirect was not followed")
	}
}

func TestRedirectLimit(t *testing.T) {
	var s *server
	s = newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if n == 0 {
			io.WriteString(w, "done")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("%s/%d", s.URL, n-1), http.StatusFound)
	})
	body, err := dev.Get(context.Background(), s.URL+"/"+strconv.Itoa(maxRedirects))
	if err != nil || string(body) != "done" {
		t.Errorf("%d redirects: %q, %v; want \"done\"", maxRedirects, body, err)
	}
	_, err = dev.Get(context.Background(), s.URL+"/"+strconv.Itoa(maxRedirects+1))
	wantRefused(t, err)
}

// TestBodyBound makes a response over the size bound an error rather than a truncated body.
func TestBodyBound(t *testing.T) {
	const limit = 1000
	// Chunked bodies have no Content-Length, so only the reader's bound can catch them.
	s := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Has("chunked") {
			w.(http.Flusher).Flush()
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		io.WriteString(w, strings.Repeat("x", n))
	})
	for _, c := range []struct {
		p     Policy
		limit int
	}{
		{Policy{AllowLoopback: true, MaxBytes: limit}, limit},
		{dev, defaultMaxBytes},
	} {
		for _, mode := range []string{"", "&chunked"} {
			fits := fmt.Sprintf("%s/?n=%d%s", s.URL, c.limit, mode)
			body, err := c.p.Get(context.Background(), fits)
			if err != nil || len(body) != c.limit {
				t.Errorf("Get(%s) = %d bytes, %v; want %d bytes", fits, len(body), err, c.limit)
			}
			over := fmt.Sprintf("%s/?n=%d%s", s.URL, c.limit+1, mode)
			body, err = c.p.Get(context.Background(), over)
			wantRefused(t, err)
			if body != nil {
				t.Errorf("Get(%s) returned %d bytes with its error", over, len(body))
			}

			// The bound holds for libraries reading through Client too.
			cl := c.p.Client()
			resp, err := cl.Get(over)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			wantRefused(t, err)
			cl.CloseIdleConnections()
		}
	}
}

func TestNon2xx(t *testing.T) {
	s := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.WriteHeader(code)
		io.WriteString(w, "internal detail")
	})
	for _, code := range []int{200, 201, 204} {
		if _, err := dev.Get(context.Background(), fmt.Sprintf("%s/%d", s.URL, code)); err != nil {
			t.Errorf("status %d: %v", code, err)
		}
	}
	// 302 without a Location is not followed and must not pass as a document.
	for _, code := range []int{302, 304, 400, 401, 404, 500, 503} {
		body, err := dev.Get(context.Background(), fmt.Sprintf("%s/%d", s.URL, code))
		if err == nil {
			t.Errorf("status %d: got %q, want an error", code, body)
			continue
		}
		if errors.Is(err, ErrRefused) {
			t.Errorf("status %d: %v wraps ErrRefused; the remote answered, nothing was refused", code, err)
		}
		if strings.Contains(err.Error(), "internal detail") {
			t.Errorf("status %d: error %q carries the response body", code, err)
		}
	}
}

func TestTimeout(t *testing.T) {
	s := newServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	p := Policy{AllowLoopback: true, Timeout: 100 * time.Millisecond}
	start := time.Now()
	if _, err := p.Get(context.Background(), s.URL); err == nil {
		t.Fatal("Get of a server that never answers succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Get took %v with a 100ms timeout", d)
	}
}

func TestProxyFromEnvironmentIgnored(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
	t.Setenv("HTTP_PROXY", "http://10.0.0.1:3128")
	tr := Policy{}.Client().Transport.(*guardedTransport)
	if tr.secure.Proxy != nil || tr.plain.Proxy != nil {
		t.Error("transport uses a proxy; the dial check would only ever see the proxy's address")
	}
}
