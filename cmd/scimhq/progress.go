package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// progress draws a progress bar when its writer is a terminal, and nothing otherwise
// (scripts and logs get only the summary).
type progress struct {
	w          io.Writer
	total, now int
	terminal   bool
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progress) add(n int) {
	p.now += n
	if !p.terminal || p.total == 0 {
		return
	}
	const width = 40
	filled := width * p.now / p.total
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.now, p.total)
}

func (p *progress) done() {
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}
