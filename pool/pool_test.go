package pool

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// silentServer accepts connections and reads them, never answering, so
// requests stay in flight and load stays where a test puts it.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

func newPool(t *testing.T, managers int) *Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := New(ctx, testConfig(Config{Managers: managers, Manager: manager.Config{Addr: silentServer(t)}, ShutdownTimeout: time.Millisecond}))
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
	deadline := time.Now().Add(10 * time.Second)
	for m.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("the request never counted as load")
		}
		runtime.Gosched()
	}
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
	ms := p.managers
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
	for _, m := range p.managers {
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
	addr := silentServer(t)
	var dials int
	var mu sync.Mutex
	cfg := Config{Managers: 3, Manager: manager.Config{Addr: addr, Dial: func(ctx context.Context, _, addr string) (net.Conn, error) {
		mu.Lock()
		dials++
		n := dials
		mu.Unlock()
		if n == 2 {
			return nil, errors.New("refused for the test")
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}}}
	_, err := New(context.Background(), testConfig(cfg))
	var cerr *manager.ConnError
	if !errors.As(err, &cerr) || cerr.Op != "dial" {
		t.Fatalf("New: %v, want a dial *ConnError", err)
	}
}
