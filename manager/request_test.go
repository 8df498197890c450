package manager

import (
	"testing"
)

// Requests the manager must refuse or answer in the right shape.

// TestRegressionEmptyRequestShiftsReplies: an empty request (no bytes) got a
// FIFO entry but no reply, so it took the next command's reply. It is now
// refused before it is queued.
func TestRegressionEmptyRequestShiftsReplies(t *testing.T) {
	srv := newEchoServer(t)
	m := newManager(t, srv, Config{})
	ctx := testContext(t)
	if _, err := m.do(ctx, NewRequest()); err == nil {
		t.Fatal("an empty request was accepted")
	}
	wantString(t, await(t, goDo(ctx, m, "ECHO", "mine")), "mine")
}

// TestRegressionDoMultiOfOneReturnsNothing: a pipeline of one command was
// answered into the single-reply slot and DoMulti returned no values.
func TestRegressionDoMultiOfOneReturnsNothing(t *testing.T) {
	srv := newEchoServer(t)
	m := newManager(t, srv, Config{})
	r := await(t, goDoMulti(testContext(t), m, []string{"ECHO", "only"}))
	if r.err != nil || len(r.vs) != 1 || str(r.vs[0]) != "only" {
		t.Fatalf("DoMulti of one: %d values, %v; want [only]", len(r.vs), r.err)
	}
	req := newPipeline([]string{"ECHO", "a"}, []string{"ECHO", "b"})
	if _, err := m.do(testContext(t), req); err == nil {
		t.Fatal("Do accepted a request expecting 2 replies")
	}
}
