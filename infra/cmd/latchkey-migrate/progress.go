package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/latchkey/latchkey/shared/migrate"
)

// progress shows how far an import is: a bar with rate and ETA on a terminal, a plain line
// every few seconds otherwise (a log, CI), nothing with --progress none.
type progress struct {
	mode  string
	w     io.Writer
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	last  time.Time
	final migrate.Progress
}

// lineEvery is how often the plain form writes a line.
const lineEvery = 5 * time.Second

func newProgress(mode string, w io.Writer) *progress {
	if mode == "" || mode == "auto" {
		mode = "lines"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	return &progress{mode: mode, w: w, last: time.Now()}
}

func (p *progress) update(s migrate.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.final = s
	switch p.mode {
	case "bar":
		if p.bar == nil {
			p.bar = progressbar.NewOptions(s.TotalRecords,
				progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetDescription("importing"),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("lines"),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		_ = p.bar.Set(s.Records)
	case "lines":
		if time.Since(p.last) < lineEvery {
			return
		}
		p.last = time.Now()
		fmt.Fprintln(p.w, line(s))
	}
}

// line is the plain form: done and total, rate, estimated time left, failures so far.
func line(s migrate.Progress) string {
	pct, rate, eta := 0.0, 0.0, "?"
	if s.TotalRecords > 0 {
		pct = 100 * float64(s.Records) / float64(s.TotalRecords)
	}
	if sec := s.Elapsed.Seconds(); sec > 0 {
		rate = float64(s.Members) / sec
		if r := float64(s.Records) / sec; r > 0 {
			eta = (time.Duration(float64(s.TotalRecords-s.Records)/r) * time.Second).Round(time.Second).String()
		}
	}
	return fmt.Sprintf("latchkey-migrate: %d/%d lines (%.0f%%), %.0f members/s, ETA %s, %d failed", s.Records, s.TotalRecords, pct, rate, eta, s.Failed)
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
