package stytchsource

import (
	"context"
	"io"
	"sync"
)

// chunk is a piece of one organization's output, with what it adds to the stats.
type chunk struct {
	data  []byte
	tally tally
	err   error
}

type tally struct {
	members                    int
	statuses                   map[string]int
	saml, oidc, external, scim int
	skipped                    []Skip
	notExported                NotExported
	reencoded                  int
}

// job is one organization's connections and members, read by a worker and written in order.
type job struct {
	orgID string
	out   chan chunk
}

// details writes, organization by organization in listing order, the connections and members.
// Workers read up to Concurrency organizations at once; each sends its output on the job's
// own channel, which the writer drains in order, so a worker ahead of the writer blocks
// after a couple of pages instead of buffering a whole organization.
func (x *exporter) details(ctx context.Context, w io.Writer, ids []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ordered := make(chan *job, x.opts.Concurrency)
	work := make(chan *job)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the feeder: hands out jobs in order
		defer wg.Done()
		defer close(ordered)
		defer close(work)
		for _, id := range ids {
			j := &job{orgID: id, out: make(chan chunk, 2)}
			select {
			case ordered <- j:
			case <-ctx.Done():
				return
			}
			select {
			case work <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range x.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				x.organizationDetails(ctx, j)
			}
		}()
	}
	err := x.drain(ctx, w, ordered)
	cancel()
	wg.Wait()
	return err
}

func (x *exporter) drain(ctx context.Context, w io.Writer, ordered <-chan *job) error {
	for j := range ordered {
		for {
			var ch chunk
			var ok bool
			select {
			case ch, ok = <-j.out:
			case <-ctx.Done():
				return ctx.Err()
			}
			if !ok {
				break
			}
			if ch.err != nil {
				return ch.err
			}
			if _, err := w.Write(ch.data); err != nil {
				return err
			}
			x.merge(ch.tally)
		}
	}
	return ctx.Err()
}

func (x *exporter) merge(t tally) {
	s := &x.stats
	s.Members += t.members
	for k, v := range t.statuses {
		s.MembersByStatus[k] += v
	}
	s.SAMLConnections += t.saml
	s.OIDCConnections += t.oidc
	s.ExternalConnections += t.external
	s.SCIMConnections += t.scim
	s.Skipped = append(s.Skipped, t.skipped...)
	n, m := &s.NotExported, t.notExported
	n.Passwords += m.Passwords
	n.TOTPs += m.TOTPs
	n.OIDCClientSecrets += m.OIDCClientSecrets
	n.SAMLSigningKeys += m.SAMLSigningKeys
	n.SAMLEncryptionKeys += m.SAMLEncryptionKeys
	n.SCIMBearerTokens += m.SCIMBearerTokens
	s.Reencoded += t.reencoded
}

// organizationDetails reads one organization's SSO connections, SCIM connection and members
// into j.out, and closes it.
func (x *exporter) organizationDetails(ctx context.Context, j *job) {
	defer close(j.out)
	send := func(c chunk) bool {
		select {
		case j.out <- c:
			return c.err == nil
		case <-ctx.Done():
			return false
		}
	}
	steps := []func(context.Context, string) (chunk, error){x.ssoConnections, x.scimConnection}
	for _, step := range steps {
		c, err := step(ctx, j.orgID)
		if err != nil {
			c = chunk{err: err}
		}
		if !send(c) {
			return
		}
	}
	x.members(ctx, j.orgID, send)
}
