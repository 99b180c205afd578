// Package bench holds Latchkey's Go benchmarks of the hot paths, run in process against
// DynamoDB Local and the SES emulator (bench_test.go). They run only with -bench: without it
// (as in `make test`) the package starts nothing and has no tests.
//
//	go test -run '^$' -bench . -benchtime 2s ./shared/bench
//
// `make bench` runs them through docs/perfreport, which writes docs/PERFORMANCE.md.
package bench
