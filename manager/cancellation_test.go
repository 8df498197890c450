package manager

import (
	"context"
	"testing"

	"github.com/redmux/redmux/internal/testwait"
)

// Callers that give up. Invariants 2 and 3 are in invariants_test.go.

// TestCancelledWhileFIFOFullIsNeverWritten: with the in-flight FIFO full,
// a request whose caller gives up while the writer waits for a slot is
// never written (invariant 3). It used to be: the writer checked the caller
// once, then blocked on the FIFO without looking again, so a SET whose
// caller got context.Canceled still ran on the server.
func TestCancelledWhileFIFOFullIsNeverWritten(t *testing.T) {
	srv := newServer(t)
	m := newManager(t, srv, Config{MaxInFlight: 1})
	sc := srv.Accept(t)
	ctx := testContext(t)

	first := goDo(ctx, m, "EVAL", "long script", "0")
	sc.Expect(t, "EVAL", "long script", "0")

	setCtx, cancelSet := context.WithCancel(ctx)
	set := goDo(setCtx, m, "SET", "k", "v")
	testwait.Eventually(t, "the writer to take the SET and wait for a FIFO slot", func() bool {
		st := m.Stats()
		return st.Queued == 0 && st.Load == 2
	})
	cancelSet()
	wantErr(t, await(t, set), context.Canceled)

	sc.Reply(t, bulk("done"))
	wantString(t, await(t, first), "done")
	next := goDo(ctx, m, "GET", "k")
	sc.Expect(t, "GET", "k") // not the SET
	sc.Reply(t, bulk("v0"))
	wantString(t, await(t, next), "v0")
	// The GET may be written by its own caller before the writer, which
	// took the SET from the queue, has looked at it again and dropped it.
	testwait.Eventually(t, "the writer to drop the SET", func() bool { return m.Stats().Dropped == 1 })
	for _, cmd := range srv.Received() {
		if cmd[0] == "SET" {
			t.Fatalf("the server received %q although its caller gave up first", cmd)
		}
	}
	if st := m.Stats(); st.Dropped != 1 || st.Written != 2 {
		t.Errorf("Stats: %d dropped, %d written; want 1 and 2", st.Dropped, st.Written)
	}
}
