package infra_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/latchkey/latchkey/infra"
	"github.com/latchkey/latchkey/shared/api"
)

// logicalID is the template id of a construct's CloudFormation resource.
func (s synthed) logicalID(c constructs.IConstruct) string {
	return *s.stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

// policyOwner is the function whose role an AWS::IAM::Policy is attached to ("" for none).
func (s synthed) policyOwner(policyID string) string {
	p, ok := s.resources("AWS::IAM::Policy")[policyID]
	if !ok {
		return ""
	}
	for _, role := range props(p)["Roles"].([]any) {
		for name, fn := range s.stack.Functions {
			if ref(role) == s.logicalID(fn.Role()) {
				return name
			}
		}
	}
	return ""
}

// grant is one action a function's role allows on one resource: "Table", "Table.StreamArn",
// "<queue id>", "*", ... (a {"Fn::Join"} resource, such as an index ARN, is its text).
type grant struct{ action, resource string }

func resourceName(r any) string {
	switch r := r.(type) {
	case string:
		return r
	case map[string]any:
		if att, ok := r["Fn::GetAtt"].([]any); ok && len(att) == 2 {
			if att[1] == "Arn" {
				return att[0].(string)
			}
			return fmt.Sprint(att[0], ".", att[1])
		}
		if id, ok := r["Ref"].(string); ok {
			return id
		}
	}
	return fmt.Sprint(r)
}

// grants lists every (action, resource) each function's policies allow, by function.
func (s synthed) grants() map[string][]grant {
	out := map[string][]grant{}
	for id, r := range s.resources("AWS::IAM::Policy") {
		fn := s.policyOwner(id)
		for _, st := range props(r)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if st["Effect"] != "Allow" {
				continue
			}
			resources, ok := st["Resource"].([]any)
			if !ok {
				resources = []any{st["Resource"]}
			}
			for _, a := range strs(st["Action"]) {
				for _, res := range resources {
					out[fn] = append(out[fn], grant{a, resourceName(res)})
				}
			}
		}
	}
	return out
}

func TestWebhookQueues(t *testing.T) {
	for name, s := range map[string]synthed{"full": full, "minimal": minimal} {
		t.Run(name, func(t *testing.T) {
			queues := s.resources("AWS::SQS::Queue")
			if len(queues) != 3 {
				t.Fatalf("%d queues, want webhook-deliveries, its DLQ and events-failed", len(queues))
			}
			q, dlq, failed := s.logicalID(s.stack.WebhookQueue), s.logicalID(s.stack.WebhookDLQ), s.logicalID(s.stack.EventsFailed)
			deliveries := props(s.resources("AWS::Lambda::Function")[s.logicalID(s.stack.Functions[infra.DeliveriesFunction])])
			if deliveries["Timeout"] != float64(infra.DeliveriesTimeoutSeconds) {
				t.Errorf("deliveries timeout %v, want %d s", deliveries["Timeout"], infra.DeliveriesTimeoutSeconds)
			}
			p := props(queues[q])
			if v, _ := p["VisibilityTimeout"].(float64); v < 6*deliveries["Timeout"].(float64) {
				t.Errorf("delivery queue visibility %v s: want at least 6 x the delivery function's timeout (%v s)", v, deliveries["Timeout"])
			}
			// Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the first attempt.
			const schedule = 5 + 5*60 + 30*60 + (2+5+10+10)*3600
			if r, _ := p["MessageRetentionPeriod"].(float64); r != 4*24*3600 || r < schedule {
				t.Errorf("delivery queue retention %v s: want 4 days, more than the %d s retry schedule", r, schedule)
			}
			redrive, _ := p["RedrivePolicy"].(map[string]any)
			if ref(redrive["deadLetterTargetArn"]) != dlq || redrive["maxReceiveCount"] != float64(8) {
				t.Errorf("delivery queue redrive %v: want the DLQ after 8 receives", redrive)
			}
			for id, want := range map[string]string{q: "webhook-deliveries", dlq: "webhook-deliveries-dlq", failed: "events-failed"} {
				p := props(queues[id])
				if p["SqsManagedSseEnabled"] != true {
					t.Errorf("%s: no server-side encryption: %v", want, p)
				}
				if p["QueueName"] != s.cfg.StackName+"-"+want {
					t.Errorf("%s: name %v", want, p["QueueName"])
				}
				if id != q && p["MessageRetentionPeriod"] != float64(14*24*3600) {
					t.Errorf("%s: retention %v, want 14 days", want, p["MessageRetentionPeriod"])
				}
				if id != q && p["RedrivePolicy"] != nil {
					t.Errorf("%s has a redrive policy of its own: %v", want, p["RedrivePolicy"])
				}
			}
			// enforceSSL: each queue's policy denies every request without TLS.
			tls := map[string]bool{}
			for _, pol := range s.resources("AWS::SQS::QueuePolicy") {
				pp := props(pol)
				for _, st := range pp["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					st := st.(map[string]any)
					if st["Effect"] == "Deny" && st["Action"] == "sqs:*" &&
						fmt.Sprint(st["Condition"]) == "map[Bool:map[aws:SecureTransport:false]]" {
						tls[ref(pp["Queues"].([]any)[0])] = true
					}
				}
			}
			for _, id := range []string{q, dlq, failed} {
				if !tls[id] {
					t.Errorf("queue %s does not deny requests without TLS", id)
				}
			}
			outputs := s.json["Outputs"].(map[string]any)
			for o, id := range map[string]string{"WebhookQueueUrl": q, "WebhookDLQUrl": dlq, "EventsFailedQueueUrl": failed} {
				out, _ := outputs[o].(map[string]any)
				if ref(out["Value"]) != id {
					t.Errorf("output %s = %v, want the URL of %s", o, out["Value"], id)
				}
			}
		})
	}
}

func TestWebhookEventSources(t *testing.T) {
	s := full
	mappings := s.resources("AWS::Lambda::EventSourceMapping")
	if len(mappings) != 2 {
		t.Fatalf("%d event source mappings, want the table stream and the delivery queue", len(mappings))
	}
	fnIDs := s.functionIDs(t)
	table := s.logicalID(s.stack.Table)
	check(t, "the table stream feeds the events function, in order, a poison batch kept", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"EventSourceArn":             map[string]any{"Fn::GetAtt": []any{table, "StreamArn"}},
			"FunctionName":               map[string]any{"Ref": s.logicalID(s.stack.Functions[infra.EventsFunction])},
			"StartingPosition":           "TRIM_HORIZON",
			"BatchSize":                  100,
			"BisectBatchOnFunctionError": true,
			"FunctionResponseTypes":      []any{"ReportBatchItemFailures"},
			"MaximumRetryAttempts":       10,
			"MaximumRecordAgeInSeconds":  24 * 3600,
			"ParallelizationFactor":      1,
			"DestinationConfig": map[string]any{"OnFailure": map[string]any{
				"Destination": map[string]any{"Fn::GetAtt": []any{s.logicalID(s.stack.EventsFailed), "Arn"}},
			}},
		})
	})
	check(t, "the delivery queue feeds the deliveries function", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"EventSourceArn":        map[string]any{"Fn::GetAtt": []any{s.logicalID(s.stack.WebhookQueue), "Arn"}},
			"FunctionName":          map[string]any{"Ref": s.logicalID(s.stack.Functions[infra.DeliveriesFunction])},
			"BatchSize":             10,
			"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
			"ScalingConfig":         map[string]any{"MaximumConcurrency": 20},
		})
	})
	for _, m := range mappings {
		if fn := fnIDs[ref(props(m)["FunctionName"])]; fn != infra.EventsFunction && fn != infra.DeliveriesFunction {
			t.Errorf("event source mapping for %q", fn)
		}
	}
	check(t, "nothing reads the DLQ automatically", func() {
		s.template.ResourcePropertiesCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"EventSourceArn": map[string]any{"Fn::GetAtt": []any{s.logicalID(s.stack.WebhookDLQ), "Arn"}},
		}, jsii.Number(0))
	})
}

// The webhook functions' environment: the queue, the retention from eventRetentionDays
// (default 30), the sealing key (but for events), and the common variables the HTTP
// functions get.
func TestWebhookFunctionsEnvironment(t *testing.T) {
	webhookFns := []string{api.FunctionWebhooks, infra.EventsFunction, infra.DeliveriesFunction}
	for name, s := range map[string]synthed{"full": full, "minimal": minimal} {
		wantDays := map[string]string{"full": "90", "minimal": "30"}[name]
		queue, key := s.logicalID(s.stack.WebhookQueue), ""
		for id, r := range s.resources("AWS::KMS::Key") {
			if strings.Contains(fmt.Sprint(props(r)["Description"]), "seals") {
				key = id
			}
		}
		for id, r := range s.resources("AWS::Lambda::Function") {
			fn := s.functionIDs(t)[id]
			env := props(r)["Environment"].(map[string]any)["Variables"].(map[string]any)
			if !slices.Contains(webhookFns, fn) {
				if _, ok := env["LATCHKEY_WEBHOOK_QUEUE_URL"]; ok {
					t.Errorf("%s %s: LATCHKEY_WEBHOOK_QUEUE_URL outside the webhook functions", name, fn)
				}
				continue
			}
			if ref(env["LATCHKEY_WEBHOOK_QUEUE_URL"]) != queue {
				t.Errorf("%s %s: LATCHKEY_WEBHOOK_QUEUE_URL=%v, want the delivery queue's URL", name, fn, env["LATCHKEY_WEBHOOK_QUEUE_URL"])
			}
			if env["LATCHKEY_EVENT_RETENTION_DAYS"] != wantDays {
				t.Errorf("%s %s: LATCHKEY_EVENT_RETENTION_DAYS=%v, want %s", name, fn, env["LATCHKEY_EVENT_RETENTION_DAYS"], wantDays)
			}
			// The capture opens no secret, so it is not told the key (nor may it use it).
			if wantKey := fn != infra.EventsFunction; (ref(env["LATCHKEY_KMS_KEY_ID"]) == key && key != "") != wantKey {
				t.Errorf("%s %s: LATCHKEY_KMS_KEY_ID=%v, want the secrets key %s: %v", name, fn, env["LATCHKEY_KMS_KEY_ID"], key, wantKey)
			}
			for _, k := range []string{"LATCHKEY_PROJECT_ID", "LATCHKEY_TABLE", "LATCHKEY_PUBLIC_TOKEN", "LATCHKEY_BASE_URL"} {
				if env[k] == nil {
					t.Errorf("%s %s: no %s", name, fn, k)
				}
			}
		}
	}
	timeouts := map[string]float64{api.FunctionWebhooks: 15, infra.EventsFunction: infra.EventsTimeoutSeconds, infra.DeliveriesFunction: infra.DeliveriesTimeoutSeconds}
	for fn, want := range timeouts {
		if got := props(full.resources("AWS::Lambda::Function")[full.logicalID(full.stack.Functions[fn])])["Timeout"]; got != want {
			t.Errorf("%s: timeout %v, want %v", fn, got, want)
		}
	}
}

// What each webhook function may do, resource by resource, against what its code does; and
// that nothing else in the stack touches the queues or the stream.
func TestWebhookIAM(t *testing.T) {
	s := full
	all := s.grants()
	table, key := s.logicalID(s.stack.Table), ""
	for id := range s.resources("AWS::KMS::Key") {
		key = id
	}
	q, dlq, failed := s.logicalID(s.stack.WebhookQueue), s.logicalID(s.stack.WebhookDLQ), s.logicalID(s.stack.EventsFailed)
	stream := table + ".StreamArn"
	has := func(fn, action, resource string) bool { return slices.Contains(all[fn], grant{action, resource}) }
	matching := func(fn string, match func(grant) bool) []grant {
		var out []grant
		for _, g := range all[fn] {
			if match(g) {
				out = append(out, g)
			}
		}
		return out
	}
	sqsOrStream := func(g grant) bool {
		return strings.HasPrefix(g.action, "sqs:") || g.resource == stream || slices.Contains([]string{"dynamodb:ListStreams",
			"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}, g.action)
	}

	type want struct {
		fn, action, resource string
	}
	for _, w := range []want{
		// events: the stream (the mapping's grants), the table reads and the conditional put,
		// deliveries queued, poison batches reported.
		{infra.EventsFunction, "dynamodb:GetRecords", stream},
		{infra.EventsFunction, "dynamodb:GetShardIterator", stream},
		{infra.EventsFunction, "dynamodb:DescribeStream", stream},
		{infra.EventsFunction, "dynamodb:ListStreams", "*"},
		{infra.EventsFunction, "dynamodb:GetItem", table},
		{infra.EventsFunction, "dynamodb:BatchGetItem", table},
		{infra.EventsFunction, "dynamodb:Query", table},
		{infra.EventsFunction, "dynamodb:PutItem", table},
		{infra.EventsFunction, "sqs:SendMessage", q},
		{infra.EventsFunction, "sqs:SendMessage", failed},
		// deliveries: consume the queue, move a failed message's visibility, the markers.
		{infra.DeliveriesFunction, "sqs:ReceiveMessage", q},
		{infra.DeliveriesFunction, "sqs:DeleteMessage", q},
		{infra.DeliveriesFunction, "sqs:ChangeMessageVisibility", q},
		{infra.DeliveriesFunction, "dynamodb:GetItem", table},
		{infra.DeliveriesFunction, "dynamodb:PutItem", table},
		{infra.DeliveriesFunction, "dynamodb:Query", table},
		{infra.DeliveriesFunction, "kms:Decrypt", key},
		// webhooks: endpoints (sealed secrets), replay onto the queue, the audit trail.
		{api.FunctionWebhooks, "sqs:SendMessage", q},
		{api.FunctionWebhooks, "kms:Encrypt", key},
		{api.FunctionWebhooks, "kms:Decrypt", key},
		{api.FunctionWebhooks, "dynamodb:PutItem", table},
		{api.FunctionWebhooks, "dynamodb:UpdateItem", table},
		{api.FunctionWebhooks, "dynamodb:DeleteItem", table},
		{api.FunctionWebhooks, "dynamodb:Query", table},
	} {
		if !has(w.fn, w.action, w.resource) {
			t.Errorf("%s may not %s on %s: %v", w.fn, w.action, w.resource, all[w.fn])
		}
	}
	for _, w := range []want{
		{infra.EventsFunction, "dynamodb:DeleteItem", table},
		{infra.EventsFunction, "dynamodb:UpdateItem", table},
		{infra.EventsFunction, "dynamodb:BatchWriteItem", table},
		{infra.EventsFunction, "dynamodb:TransactWriteItems", table},
		{infra.EventsFunction, "kms:Encrypt", key},
		{infra.EventsFunction, "kms:Decrypt", key}, // the capture opens no endpoint secret
		{infra.EventsFunction, "sqs:ReceiveMessage", q},
		{infra.EventsFunction, "sqs:DeleteMessage", q},
		{infra.DeliveriesFunction, "dynamodb:TransactWriteItems", table},
		{infra.DeliveriesFunction, "dynamodb:DeleteItem", table},
		{infra.DeliveriesFunction, "dynamodb:UpdateItem", table},
		{infra.DeliveriesFunction, "dynamodb:BatchWriteItem", table},
		{infra.DeliveriesFunction, "kms:Encrypt", key},
		{infra.DeliveriesFunction, "sqs:SendMessage", q},
	} {
		if has(w.fn, w.action, w.resource) {
			t.Errorf("%s may %s on %s", w.fn, w.action, w.resource)
		}
	}
	// The stream only for events; the queues only as above; the DLQ for no one (SQS itself
	// moves messages there, and a redrive is an operator's).
	for fn := range all {
		got := matching(fn, sqsOrStream)
		switch fn {
		case infra.EventsFunction:
			for _, g := range got {
				if g.resource != stream && g.resource != q && g.resource != failed && g != (grant{"dynamodb:ListStreams", "*"}) {
					t.Errorf("events: %v", g)
				}
				if g.resource == q && g.action != "sqs:SendMessage" {
					t.Errorf("events may %s on the delivery queue", g.action)
				}
			}
		case infra.DeliveriesFunction:
			for _, g := range got {
				if g.resource != q {
					t.Errorf("deliveries: %v", g)
				}
			}
		case api.FunctionWebhooks:
			if !slices.Equal(got, []grant{{"sqs:SendMessage", q}}) {
				t.Errorf("webhooks: %v, want sqs:SendMessage on the delivery queue only", got)
			}
		default:
			if len(got) > 0 {
				t.Errorf("%s may use the webhook queues or the stream: %v", fn, got)
			}
		}
		for _, g := range all[fn] {
			if g.resource == dlq {
				t.Errorf("%s may %s on the DLQ", fn, g.action)
			}
		}
	}
	// Replay walks the project's hour buckets on gsi2, and reads nothing else from an index.
	idx := matching(api.FunctionWebhooks, func(g grant) bool { return strings.Contains(g.resource, "/index/") })
	if len(idx) != 1 || !strings.Contains(idx[0].resource, "/index/gsi2") {
		t.Errorf("webhooks index access %v, want Query on gsi2", idx)
	}
	for _, fn := range []string{infra.EventsFunction, infra.DeliveriesFunction} {
		if idx := matching(fn, func(g grant) bool { return strings.Contains(g.resource, "/index/") }); len(idx) > 0 {
			t.Errorf("%s may query an index: %v", fn, idx)
		}
	}
}

func TestWebhookAlarms(t *testing.T) {
	s := full
	topic := ""
	for id := range s.resources("AWS::SNS::Topic") {
		topic = id
	}
	for what, queue := range map[string]string{"DLQ": s.logicalID(s.stack.WebhookDLQ), "events-failed": s.logicalID(s.stack.EventsFailed)} {
		check(t, what+" depth alarm", func() {
			s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"Namespace":          "AWS/SQS",
				"MetricName":         "ApproximateNumberOfMessagesVisible",
				"Dimensions":         []any{map[string]any{"Name": "QueueName", "Value": map[string]any{"Fn::GetAtt": []any{queue, "QueueName"}}}},
				"Threshold":          1,
				"ComparisonOperator": "GreaterThanOrEqualToThreshold",
				"AlarmActions":       []any{map[string]any{"Ref": topic}},
			})
		})
	}
	check(t, "events iterator age alarm", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
			"Namespace":    "AWS/Lambda",
			"MetricName":   "IteratorAge",
			"Dimensions":   []any{map[string]any{"Name": "FunctionName", "Value": map[string]any{"Ref": s.logicalID(s.stack.Functions[infra.EventsFunction])}}},
			"Threshold":    infra.EventsIteratorAgeAlarmMinutes * 60 * 1000,
			"Statistic":    "Maximum",
			"AlarmActions": []any{map[string]any{"Ref": topic}},
		})
	})
	for _, fn := range []string{api.FunctionWebhooks, infra.EventsFunction, infra.DeliveriesFunction} {
		check(t, fn+" errors alarm", func() {
			s.template.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
				"MetricName": "Errors",
				"Dimensions": []any{map[string]any{"Name": "FunctionName", "Value": map[string]any{"Ref": s.logicalID(s.stack.Functions[fn])}}},
			})
		})
	}
}
