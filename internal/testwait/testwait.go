// Package testwait holds the one way tests of this module wait for
// something: a channel, a goroutine group, or, when a state has no event
// to wait on, a condition polled at a short interval. Every wait is
// bounded; reaching the bound fails the test with a message naming what
// it was waiting for, instead of hanging the run. It uses only the
// standard library, so that any test package of the module may import it.
//
// The functions call tb.Fatalf, so they must run on the test's goroutine.
package testwait

import (
	"sync"
	"testing"
	"time"
)

// Limit bounds every wait of this package, unless a test states its own
// bound with a Within variant. Correct code takes milliseconds; a wait
// that reaches Limit is a hang.
const Limit = 10 * time.Second

// Interval is how often Eventually polls its condition.
const Interval = time.Millisecond

// Eventually polls cond until it holds, failing the test once Limit has
// passed. It is for states that have no event to wait on, such as a
// request sitting in a queue or a counter reaching a value.
func Eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	EventuallyWithin(tb, Limit, what, cond)
}

// EventuallyWithin is Eventually with a bound of its own, for a test that
// asserts how soon the condition holds rather than only that it does.
func EventuallyWithin(tb testing.TB, limit time.Duration, what string, cond func() bool) {
	tb.Helper()
	if !Until(limit, cond) {
		tb.Fatalf("still waiting for %s after %v", what, limit)
	}
}

// Until polls cond every Interval until it holds (true) or limit has
// passed (false). It is Eventually for callers that report a failure
// their own way: a cleanup that must not stop, say.
func Until(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(Interval)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// WaitFor waits for ch to deliver a value or to be closed, and returns
// what it received (the zero value if ch was closed). It fails the test
// once Limit has passed.
func WaitFor[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	return WaitWithin(tb, Limit, ch, what)
}

// WaitWithin is WaitFor with a bound of its own, for a test that asserts
// how soon ch delivers rather than only that it does.
func WaitWithin[T any](tb testing.TB, limit time.Duration, ch <-chan T, what string) T {
	tb.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		tb.Fatalf("still waiting for %s after %v", what, limit)
		var zero T
		return zero
	}
}

// Done returns a channel closed once wg's counter is zero, for WaitFor.
// The goroutine waiting on wg is left behind if the wait fails.
func Done(wg *sync.WaitGroup) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		wg.Wait()
		close(ch)
	}()
	return ch
}
