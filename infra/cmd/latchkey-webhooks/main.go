// Command latchkey-webhooks manages a deployment's webhook endpoints, replays events to one and
// reads the audit trail, over the Latchkey API with the project's credentials.
//
//	latchkey-webhooks endpoints create --url https://app.example.com/hooks [--events '*.member.*,direct.organization.*'] [--organization ID] [--description D]
//	latchkey-webhooks endpoints list
//	latchkey-webhooks endpoints delete ENDPOINT_ID
//	latchkey-webhooks endpoints rotate ENDPOINT_ID
//	latchkey-webhooks replay ENDPOINT_ID --since 2026-03-09T08:00:00Z [--until T] [--organization ID]
//	latchkey-webhooks events --organization ID [--since T] [--until T] [--limit N]
//
// Where: --api-url (LATCHKEY_API_URL, default http://localhost:8080), --project-id
// (LATCHKEY_PROJECT_ID) and --project-secret (LATCHKEY_PROJECT_SECRET). A signing secret
// (create, rotate) goes to stdout alone on its own line, once; the rest goes to stderr, so
// `SECRET=$(latchkey-webhooks endpoints create --url ... 2>/dev/null)` works. A time is RFC 3339,
// or a duration before now ("24h"). replay follows the cursor until the range is done; events
// prints each event's JSON on a line of its own (JSON Lines), every page.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "latchkey-webhooks:", err)
		os.Exit(2)
	}
}

const usage = `usage: latchkey-webhooks <command> [flags] [args]

  endpoints create --url U [--events a,b] [--organization ID] [--description D]
  endpoints list
  endpoints delete ENDPOINT_ID
  endpoints rotate ENDPOINT_ID
  replay ENDPOINT_ID --since T [--until T] [--organization ID]
  events [--organization ID] [--since T] [--until T] [--limit N]

Every command takes --api-url, --project-id and --project-secret (or LATCHKEY_API_URL,
LATCHKEY_PROJECT_ID, LATCHKEY_PROJECT_SECRET). T is RFC 3339 or a duration before now (24h).`

// client calls the API with the project's credentials.
type client struct {
	base, id, secret string
	http             *http.Client
}

// apiError is a Stytch-shaped error answer.
type apiError struct {
	Status  int    `json:"status_code"`
	Type    string `json:"error_type"`
	Message string `json:"error_message"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message) }

func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.base, "/")+path, rd)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.id, c.secret)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "latchkey-webhooks/1")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(raw, e) != nil || e.Type == "" {
			return fmt.Errorf("%s %s: %d %.200s", method, path, resp.StatusCode, raw)
		}
		return e
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

type endpoint struct {
	EndpointID      string   `json:"endpoint_id"`
	URL             string   `json:"url"`
	Description     string   `json:"description"`
	EventTypes      []string `json:"event_types"`
	OrganizationIDs []string `json:"organization_ids"`
	Disabled        bool     `json:"disabled"`
}

// parseTime reads T: RFC 3339, or a duration before now.
func parseTime(v string, now time.Time) (string, error) {
	if v == "" {
		return "", nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d).UTC().Format(time.RFC3339), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return "", fmt.Errorf("%q is neither an RFC 3339 time nor a duration", v)
	}
	return t.UTC().Format(time.RFC3339Nano), nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cmd []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") && len(cmd) < 2 {
		cmd = append(cmd, args[0])
		args = args[1:]
		if cmd[0] != "endpoints" {
			break
		}
	}
	name := strings.Join(cmd, " ")
	fs := flag.NewFlagSet("latchkey-webhooks "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage) }
	apiURL := fs.String("api-url", cmp(getenv("LATCHKEY_API_URL"), "http://localhost:8080"), "the API's base URL")
	projectID := fs.String("project-id", getenv("LATCHKEY_PROJECT_ID"), "the project id")
	projectSecret := fs.String("project-secret", getenv("LATCHKEY_PROJECT_SECRET"), "a project secret")
	urlFlag := fs.String("url", "", "the endpoint's URL (https)")
	eventsFlag := fs.String("events", "", "event type filters, comma separated (source.object_type.action, * per segment)")
	org := fs.String("organization", "", "an organization id")
	desc := fs.String("description", "", "the endpoint's description")
	since := fs.String("since", "", "start of the range: RFC 3339 or a duration before now")
	until := fs.String("until", "", "end of the range (default now)")
	limit := fs.Int("limit", 100, "events per page")
	// Flags may follow the positional arguments (replay ID --since T).
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if *projectID == "" || *projectSecret == "" {
		return errors.New("the project's credentials are needed: --project-id and --project-secret (or LATCHKEY_PROJECT_ID, LATCHKEY_PROJECT_SECRET)")
	}
	c := &client{base: *apiURL, id: *projectID, secret: *projectSecret, http: &http.Client{Timeout: 60 * time.Second}}
	now := time.Now()
	one := func() (string, error) {
		if len(pos) != 1 {
			return "", fmt.Errorf("%s takes one endpoint id", name)
		}
		return url.PathEscape(pos[0]), nil
	}
	switch name {
	case "endpoints create":
		if *urlFlag == "" {
			return errors.New("endpoints create needs --url")
		}
		body := map[string]any{"url": *urlFlag}
		if *eventsFlag != "" {
			body["event_types"] = splitList(*eventsFlag)
		}
		if *org != "" {
			body["organization_ids"] = splitList(*org)
		}
		if *desc != "" {
			body["description"] = *desc
		}
		var out struct {
			Endpoint endpoint `json:"endpoint"`
			Secret   string   `json:"secret"`
		}
		if err := c.do(ctx, "POST", "/v1/b2b/webhooks/endpoints", body, &out); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "created %s → %s; its signing secret, shown once, is on stdout\n", out.Endpoint.EndpointID, out.Endpoint.URL)
		fmt.Fprintln(stdout, out.Secret)
	case "endpoints list":
		var out struct {
			Endpoints []endpoint `json:"endpoints"`
		}
		if err := c.do(ctx, "GET", "/v1/b2b/webhooks/endpoints", nil, &out); err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ENDPOINT_ID\tURL\tEVENTS\tORGANIZATIONS\tDISABLED")
		for _, ep := range out.Endpoints {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\n", ep.EndpointID, ep.URL, orAll(ep.EventTypes), orAll(ep.OrganizationIDs), ep.Disabled)
		}
		return w.Flush()
	case "endpoints delete":
		id, err := one()
		if err != nil {
			return err
		}
		if err := c.do(ctx, "DELETE", "/v1/b2b/webhooks/endpoints/"+id, nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "deleted %s\n", pos[0])
	case "endpoints rotate":
		id, err := one()
		if err != nil {
			return err
		}
		var out struct {
			Endpoint struct {
				PreviousExpires string `json:"previous_secret_expires_at"`
			} `json:"endpoint"`
			Secret string `json:"secret"`
		}
		if err := c.do(ctx, "POST", "/v1/b2b/webhooks/endpoints/"+id+"/rotate_secret", nil, &out); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "rotated %s; the previous secret signs too until %s; the new one is on stdout\n", pos[0], out.Endpoint.PreviousExpires)
		fmt.Fprintln(stdout, out.Secret)
	case "replay":
		id, err := one()
		if err != nil {
			return err
		}
		if *since == "" {
			return errors.New("replay needs --since")
		}
		start, err := parseTime(*since, now)
		if err != nil {
			return err
		}
		end, err := parseTime(*until, now)
		if err != nil {
			return err
		}
		if end == "" {
			end = now.UTC().Format(time.RFC3339Nano) // one end for every page
		}
		total := 0
		body := map[string]any{"start_time": start, "end_time": end}
		if *org != "" {
			body["organization_id"] = *org
		}
		for {
			var out struct {
				Queued int    `json:"events_queued"`
				Next   string `json:"next_cursor"`
			}
			if err := c.do(ctx, "POST", "/v1/b2b/webhooks/endpoints/"+id+"/replay", body, &out); err != nil {
				return err
			}
			total += out.Queued
			if out.Next == "" {
				break
			}
			body["cursor"] = out.Next
		}
		fmt.Fprintf(stdout, "%d events queued\n", total)
	case "events":
		start, err := parseTime(*since, now)
		if err != nil {
			return err
		}
		end, err := parseTime(*until, now)
		if err != nil {
			return err
		}
		q := url.Values{"limit": {fmt.Sprint(*limit)}}
		for k, v := range map[string]string{"organization_id": *org, "start_time": start, "end_time": end} {
			if v != "" {
				q.Set(k, v)
			}
		}
		for {
			var out struct {
				Events []json.RawMessage `json:"events"`
				Next   string            `json:"next_cursor"`
			}
			if err := c.do(ctx, "GET", "/v1/b2b/events?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			for _, e := range out.Events {
				fmt.Fprintf(stdout, "%s\n", e)
			}
			if out.Next == "" {
				break
			}
			q.Set("cursor", out.Next)
		}
	default:
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown command %q", name)
	}
	return nil
}

func orAll(list []string) string {
	if len(list) == 0 {
		return "*"
	}
	return strings.Join(list, ",")
}

func cmp(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
