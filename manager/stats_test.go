package manager

import (
	"errors"
	"testing"
)

// TestWrittenCountsOnlyWritesThatHappened: Stats.Written counts requests
// whose bytes were written. It used to count them when they joined the
// batch, so requests whose write was skipped because the connection had
// just died were counted as written.
func TestWrittenCountsOnlyWritesThatHappened(t *testing.T) {
	srv := newEchoServer(t)
	m := newManager(t, srv, Config{})
	s := m.current.Load()

	m.writeMu.Lock()
	req := newCmd("GET", "k")
	req.ctxDone = testContext(t).Done()
	m.load.Add(1)
	buf := m.appendRequest(s, nil, req)
	s.kill(&ConnError{Op: "read", Addr: testAddr, Err: errors.New("killed by the test")})
	m.flush(s, buf)
	m.writeMu.Unlock()

	if st := m.Stats(); st.Written != 0 || st.Batches != 0 {
		t.Errorf("Stats: %d written in %d batches; want none: the write never happened", st.Written, st.Batches)
	}
}
