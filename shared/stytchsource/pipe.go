package stytchsource

import (
	"context"
	"io"

	"github.com/stytchauth/stytch-go/v18/stytch/b2b/b2bstytchapi"
)

// Result is how a piped export ended.
type Result struct {
	Stats Stats
	Err   error
}

// Pipe runs Export in the background and returns its output as a reader, for an importer that
// reads JSON Lines from an io.Reader. The reader ends with io.EOF when the export succeeded,
// or with the export's error, so a consumer never mistakes a truncated stream for a whole one.
// Closing the reader early stops the export. The channel yields one Result once the export
// has stopped, then closes.
func Pipe(ctx context.Context, client *b2bstytchapi.API, opts Options) (io.ReadCloser, <-chan Result) {
	pr, pw := io.Pipe()
	done := make(chan Result, 1)
	go func() {
		defer close(done)
		stats, err := Export(ctx, client, pw, opts)
		if err != nil {
			pw.CloseWithError(err)
		} else {
			pw.Close()
		}
		done <- Result{Stats: stats, Err: err}
	}()
	return pr, done
}
