package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// control says when the benchmark stops, in two levels.
//
// stop ends the run: workers start no new operations once it is done. The
// first SIGINT or SIGTERM ends it (the run's own deadline is derived from
// it). ops is the context of every operation: it ends on a second signal,
// or when operations outlive the end of the run by drainGrace, and cancels
// the operations still in flight. A third signal exits at once.
type control struct {
	stop        context.Context
	ops         context.Context
	halt        context.CancelFunc // ends stop
	abort       context.CancelFunc // ends ops, and so stop
	interrupted atomic.Bool
}

// watchSignals returns a control driven by SIGINT and SIGTERM, and a
// function that stops watching.
func watchSignals(out io.Writer) (ctl *control, stopWatching func()) {
	ctl = &control{}
	ctl.ops, ctl.abort = context.WithCancel(context.Background())
	ctl.stop, ctl.halt = context.WithCancel(ctl.ops)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for n := 0; ; n++ {
			select {
			case sig := <-sigs:
				ctl.onSignal(sig, n, out)
			case <-done:
				return
			}
		}
	}()
	return ctl, func() {
		signal.Stop(sigs)
		close(done)
		ctl.abort()
	}
}

// onSignal handles the nth signal received (counting from 0).
func (ctl *control) onSignal(sig os.Signal, n int, out io.Writer) {
	ctl.interrupted.Store(true)
	switch n {
	case 0:
		fmt.Fprintf(out, "%v: stopping early; the summary follows (again to cancel requests in flight)\n", sig)
		ctl.halt()
	case 1:
		fmt.Fprintf(out, "%v again: cancelling requests in flight (again to exit at once)\n", sig)
		ctl.abort()
	default:
		fmt.Fprintf(out, "%v a third time: exiting without a summary\n", sig)
		os.Exit(130)
	}
}
