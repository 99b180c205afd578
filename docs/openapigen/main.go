// Command openapigen writes docs/openapi.json (`make openapi`): the OpenAPI 3.1 document that
// shared/api generates from its route table and the Go types of its handlers. A test in
// shared/api fails while the committed file differs from what the code generates.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/latchkey/latchkey/shared/api"
)

func main() {
	out := flag.String("o", "docs/openapi.json", "where to write the document")
	flag.Parse()
	doc, err := api.OpenAPIJSON(api.DevServerURL)
	if err == nil {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapigen:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d bytes\n", *out, len(doc))
}
