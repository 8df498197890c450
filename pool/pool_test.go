package pool

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redmux/redmux/internal/fakeredis"
	"github.com/redmux/redmux/internal/testwait"
	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

func newPool(t *testing.T, managers int) *Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := New(ctx, testConfig(Config{Managers: managers, Manager: manager.Config{Addr: fakeredis.Silent(t).Addr()}, ShutdownTimeout: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.refs.Load() > 0 {
			p.Release()
		}
	})
	return p
}

// load puts one never-answered request on m and returns once it counts.
func load(t *testing.T, m *manager.Manager) {
	t.Helper()
	before := m.Load()
	req := manager.NewRequest()
	req.Cmd = resp.AppendCommandStrings(req.Cmd, "GET", "k")
	go func() {
		if m.Send(context.Background(), req) {
			req.Release()
		}
	}()
	testwait.Eventually(t, "the request to count as load", func() bool { return m.Load() != before })
}

func TestPickTiesRotateRoundRobin(t *testing.T) {
	p := newPool(t, 3)
	seen := map[*manager.Manager]int{}
	for range 30 {
		seen[p.pick()]++
	}
	if len(seen) != 3 {
		t.Fatalf("idle managers picked: %d of 3", len(seen))
	}
	for m, n := range seen {
		if n != 10 {
			t.Errorf("manager %p picked %d times of 30, want 10", m, n)
		}
	}
}

func TestPickLeastLoaded(t *testing.T) {
	p := newPool(t, 3)
	ms := p.all()
	load(t, ms[0])
	load(t, ms[0])
	load(t, ms[1])
	for range 10 {
		if got := p.pick(); got != ms[2] {
			t.Fatalf("picked a manager with load %d; the idle one has 0", got.Load())
		}
	}
	load(t, ms[2])
	load(t, ms[2])
	for range 10 {
		if got := p.pick(); got != ms[1] {
			t.Fatalf("picked a manager with load %d; want the one with load 1", got.Load())
		}
	}
}

func TestRetainFailsAfterLastRelease(t *testing.T) {
	p := newPool(t, 2)
	if !p.Retain() {
		t.Fatal("Retain on a live pool failed")
	}
	p.Release()
	p.Release() // the last reference: shuts down and waits
	for _, m := range p.all() {
		select {
		case <-m.Done():
		default:
			t.Fatal("a manager is still running after the last Release")
		}
	}
	if p.Retain() {
		t.Fatal("Retain revived a pool that shut down")
	}
	req := manager.NewRequest()
	req.Cmd = resp.AppendCommandStrings(req.Cmd, "PING")
	if _, err := p.Do(context.Background(), req); !errors.Is(err, manager.ErrClosed) {
		t.Fatalf("Do after shutdown: %v, want ErrClosed", err)
	}
	if _, err := p.Dedicated(context.Background()); !errors.Is(err, manager.ErrClosed) {
		t.Fatalf("Dedicated after shutdown: %v, want ErrClosed", err)
	}
}

func TestNewFailsWholeWhenOneManagerCannotConnect(t *testing.T) {
	srv := fakeredis.Silent(t)
	srv.SetDialHook(func(_ context.Context, n int) error {
		if n == 2 {
			return errors.New("refused for the test")
		}
		return nil
	})
	cfg := Config{Managers: 3, Manager: manager.Config{Addr: srv.Addr(), Dial: srv.Dial}}
	_, err := New(context.Background(), testConfig(cfg))
	var cerr *manager.ConnError
	if !errors.As(err, &cerr) || cerr.Op != "dial" {
		t.Fatalf("New: %v, want a dial *ConnError", err)
	}
}
