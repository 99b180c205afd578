// Package callcount counts the DynamoDB operations one request makes, so every request's log
// line can say what it cost and tests can hold each route to its budget.
package callcount

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
)

type Counter struct {
	mu    sync.Mutex
	ops   map[string]int
	n     int
	read  float64
	write float64
}

type key struct{}

// With returns a context carrying a fresh counter.
func With(ctx context.Context) (context.Context, *Counter) {
	c := &Counter{ops: map[string]int{}}
	return context.WithValue(ctx, key{}, c), c
}

// From returns the context's counter, or nil.
func From(ctx context.Context) *Counter {
	c, _ := ctx.Value(key{}).(*Counter)
	return c
}

// Add records one operation (a round trip, not counting the SDK's retries).
func (c *Counter) Add(op string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.ops[op]++
	c.n++
	c.mu.Unlock()
}

// AddCapacity records capacity units DynamoDB reported as consumed.
func (c *Counter) AddCapacity(read, write float64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.read += read
	c.write += write
	c.mu.Unlock()
}

// Capacity returns the read and write capacity units consumed so far.
func (c *Counter) Capacity() (read, write float64) {
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read, c.write
}

// Total is the number of operations recorded.
func (c *Counter) Total() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Count is how many operations of one kind were recorded.
func (c *Counter) Count(op string) int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op]
}

// String lists operations as "GetItem:1,TransactWriteItems:1", sorted by name.
func (c *Counter) String() string {
	if c == nil {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.ops))
	for op := range c.ops {
		names = append(names, op)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, op := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(op)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(c.ops[op]))
	}
	return b.String()
}
