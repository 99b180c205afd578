package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	latchkey "github.com/latchkey/latchkey/shared"
	"github.com/latchkey/latchkey/shared/callcount"
	"github.com/latchkey/latchkey/shared/migrate"
	"github.com/latchkey/latchkey/shared/store"
)

// The bulk import (issue 15): members imported per second through shared/migrate, held
// against raw BatchWriteItem of the very items the import wrote, 25 per call, at the same
// concurrency, into a fresh key range. One op is one member.

// migrateConcurrency is the importer's default, and the baseline's.
const migrateConcurrency = migrate.DefaultConcurrency

// migratePool is what the last import wrote: its organization's partition, member items and
// guards, for the baseline to write again elsewhere.
var migratePool struct {
	mu        sync.Mutex
	items     []map[string]types.AttributeValue
	perMember float64
}

// writeMigrateInput writes an input like a first migration's: the organization, then n
// members with a name, an external id and a little metadata.
func writeMigrateInput(b *testing.B, n int) (path, slug string) {
	b.Helper()
	slug = "bench-import-" + uuid.NewString()[:8]
	path = filepath.Join(b.TempDir(), "import.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	_ = enc.Encode(map[string]any{"type": "organization", "organization": map[string]any{"organization_name": "Bench Import", "organization_slug": slug}})
	for i := range n {
		_ = enc.Encode(map[string]any{"type": "member", "organization_slug": slug, "member": map[string]any{
			"email_address": fmt.Sprintf("member-%07d@%s.example", i, slug), "name": fmt.Sprintf("Member %d", i),
			"external_id": fmt.Sprintf("crm-%07d", i), "trusted_metadata": map[string]any{"plan": "pro", "seats": i % 50},
		}})
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path, slug
}

func benchImporter() *migrate.Importer {
	return &migrate.Importer{Store: fx.app.Store, Clock: latchkey.SystemClock{}, IDs: latchkey.IDsForProject(fx.env.ProjectID),
		PasswordScope: migrate.ScopeOrganization}
}

// runImport imports n members into a new organization and keeps what it wrote for the
// baseline.
func runImport(b *testing.B, n int, timed bool) {
	path, slug := writeMigrateInput(b, n)
	ctx, calls := callcount.With(context.Background())
	im := benchImporter()
	if timed {
		b.ReportAllocs()
		b.ResetTimer()
	}
	cpu := cpuStart()
	start := time.Now()
	rep, err := im.Import(ctx, migrate.FileInput(path), migrate.Options{Concurrency: migrateConcurrency})
	elapsed := time.Since(start)
	if timed {
		b.StopTimer()
	}
	if err != nil {
		b.Fatal(err)
	}
	if rep.Members.Created != n || rep.Organizations.Created != 1 {
		b.Fatalf("the import created %d members of %d: %+v", rep.Members.Created, n, rep)
	}
	if timed {
		cpu.report(b, n)
		_, wcu := calls.Capacity()
		b.ReportMetric(0, "requests/op")
		b.ReportMetric(float64(calls.Total())/float64(n), "ddb-calls/op")
		b.ReportMetric(0, "RCU/op")
		b.ReportMetric(wcu/float64(n), "WCU/op")
		b.ReportMetric(float64(n)/elapsed.Seconds(), "members/s")
	}
	orgID, err := fx.app.Store.OrganizationIDBySlug(ctx, slug)
	if err != nil {
		b.Fatal(err)
	}
	items := partition(b, orgID)
	migratePool.mu.Lock()
	if len(items) >= len(migratePool.items) {
		migratePool.items, migratePool.perMember = items, float64(len(items))/float64(n)
	}
	migratePool.mu.Unlock()
}

// partition reads an organization's partition (Query, page by page): its member items and
// their guards, without the organization item itself.
func partition(b *testing.B, orgID string) []map[string]types.AttributeValue {
	var out []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(fx.ddb, &dynamodb.QueryInput{TableName: aws.String(fx.env.Config.Table),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "ORG#" + orgID}}})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		for _, it := range page.Items {
			if sk, _ := it[store.AttrSK].(*types.AttributeValueMemberS); sk != nil && sk.Value != "ORG" {
				out = append(out, it)
			}
		}
	}
	return out
}

// BenchmarkMigrateImport imports b.N members, with their organization, from a JSON Lines file
// through shared/migrate at its default concurrency: reading and hashing the file, validating
// every line, and one transaction per batch of members (each member's item and guards).
func BenchmarkMigrateImport(b *testing.B) {
	migrateWarmUp(b)
	runImport(b, b.N, true)
}

// BenchmarkMigrateBatchWriteBaseline writes the items an import wrote for b.N members (member
// items, email and external-id guards; the same count and sizes) with raw BatchWriteItem, 25
// per call, at the importer's concurrency, into partitions nobody wrote before.
func BenchmarkMigrateBatchWriteBaseline(b *testing.B) { benchRawWrites(b, false) }

// BenchmarkMigrateTransactWriteBaseline writes the same items with raw TransactWriteItems,
// each put conditional on the item being new, as many per call as the importer's batches put
// in one transaction: the ceiling that writing each member's items atomically sets.
func BenchmarkMigrateTransactWriteBaseline(b *testing.B) { benchRawWrites(b, true) }

var migrateWarm sync.Once

// migrateWarmUp runs an import and both raw writes once, untimed, before the first of these
// benchmarks: DynamoDB Local is a JVM, and transactions and batch writes are paths the read
// benchmarks' warm-up never took.
func migrateWarmUp(b *testing.B) {
	migrateWarm.Do(func() {
		runImport(b, 1500, false)
		for _, transact := range []bool{false, true} {
			items, _ := poolItems(1500)
			if err := rawWrite(items, transact); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// poolItems copies the last import's items for n members, each copy of the pool in a
// partition of its own, never written before.
func poolItems(n int) ([]map[string]types.AttributeValue, float64) {
	migratePool.mu.Lock()
	pool, per := migratePool.items, migratePool.perMember
	migratePool.mu.Unlock()
	want := int(float64(n)*per + 0.5)
	items := make([]map[string]types.AttributeValue, 0, want)
	for len(items) < want {
		pk := &types.AttributeValueMemberS{Value: "ORG#organization-test-" + uuid.NewString()}
		for _, it := range pool[:min(len(pool), want-len(items))] {
			c := make(map[string]types.AttributeValue, len(it))
			for k, v := range it {
				c[k] = v
			}
			c[store.AttrPK] = pk
			items = append(items, c)
		}
	}
	return items, per
}

// rawWrite writes items at the importer's concurrency: BatchWriteItem 25 a call, or
// TransactWriteItems of as many items as an import batch of members has.
func rawWrite(items []map[string]types.AttributeValue, transact bool) error {
	return rawWriteCtx(context.Background(), items, transact)
}

func rawWriteCtx(ctx context.Context, items []map[string]types.AttributeValue, transact bool) error {
	table := fx.env.Config.Table
	per := 25
	if transact {
		migratePool.mu.Lock()
		per = int(float64(migrate.DefaultBatchSize)*migratePool.perMember + 0.5)
		migratePool.mu.Unlock()
	}
	chunks := make(chan []map[string]types.AttributeValue)
	var wg sync.WaitGroup
	var failed error
	var once sync.Once
	for range migrateConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := range chunks {
				var err error
				if transact {
					err = transactWrite(ctx, table, chunk)
				} else {
					err = batchWrite(ctx, table, chunk)
				}
				if err != nil {
					once.Do(func() { failed = err })
				}
			}
		}()
	}
	for i := 0; i < len(items); i += per {
		chunks <- items[i:min(i+per, len(items))]
	}
	close(chunks)
	wg.Wait()
	return failed
}

func batchWrite(ctx context.Context, table string, chunk []map[string]types.AttributeValue) error {
	reqs := make([]types.WriteRequest, len(chunk))
	for i, it := range chunk {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
	}
	for len(reqs) > 0 {
		out, err := fx.ddb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
		if err != nil {
			return err
		}
		reqs = out.UnprocessedItems[table]
	}
	return nil
}

func transactWrite(ctx context.Context, table string, chunk []map[string]types.AttributeValue) error {
	in := &dynamodb.TransactWriteItemsInput{}
	for _, it := range chunk {
		in.TransactItems = append(in.TransactItems, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: it,
			ConditionExpression: aws.String("attribute_not_exists(pk)")}})
	}
	for attempt := 0; ; attempt++ {
		_, err := fx.ddb.TransactWriteItems(ctx, in)
		var tce *types.TransactionCanceledException
		if err == nil || !errors.As(err, &tce) || attempt > 10 {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond) // a transaction conflict
	}
}

func benchRawWrites(b *testing.B, transact bool) {
	migrateWarmUp(b)
	items, _ := poolItems(b.N)
	ctx, calls := callcount.With(context.Background())
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuStart()
	start := time.Now()
	err := rawWriteCtx(ctx, items, transact)
	elapsed := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	cpu.report(b, b.N)
	_, wcu := calls.Capacity()
	b.ReportMetric(0, "requests/op")
	b.ReportMetric(float64(calls.Total())/float64(b.N), "ddb-calls/op")
	b.ReportMetric(0, "RCU/op")
	b.ReportMetric(wcu/float64(b.N), "WCU/op")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "members/s")
}
