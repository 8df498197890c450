package redmux

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// sentinelPingInterval is how long the watch waits for a message before it
// sends the sentinel a PING; a sentinel that answers nothing for another
// interval is given up for the next one. Sentinels publish hello messages
// every 2 s on their own, so a healthy connection is rarely quiet.
const sentinelPingInterval = time.Second

var (
	subscribeSwitch = resp.AppendCommandStrings(nil, "SUBSCRIBE", "+switch-master")
	sentinelPing    = resp.AppendCommandStrings(nil, "PING")
)

// switchWatch follows the sentinels' +switch-master announcements for one
// master, subscribed on one sentinel at a time, and hands each new master
// address to onSwitch. It runs one goroutine, from startSwitchWatch to
// stop; onSwitch runs on it.
type switchWatch struct {
	s        *sentinels
	onSwitch func(addr string)
	backoff  backoff
	log      *slog.Logger // Config.Logger of the master's connections
	known    string       // the master address last handed on, or first dialed (watch goroutine only)

	life   context.Context // ends with stop
	cancel context.CancelFunc
	done   chan struct{} // closed when the goroutine has exited
}

// startSwitchWatch starts watching the sentinels of s, with node's
// backoff between failed attempts.
func startSwitchWatch(s *sentinels, node Config, onSwitch func(addr string)) *switchWatch {
	w := &switchWatch{
		s:        s,
		onSwitch: onSwitch,
		backoff:  backoff{min: node.BackoffMin, max: node.BackoffMax},
		log:      node.Logger,
		known:    s.lastDialed(),
		done:     make(chan struct{}),
	}
	w.life, w.cancel = context.WithCancel(context.Background())
	go w.run()
	return w
}

// stop ends the watch and returns once its goroutine has exited. Safe to
// call more than once.
func (w *switchWatch) stop() {
	w.cancel()
	<-w.done
}

// run watches one sentinel after another until stop. A failed attempt
// makes the pause before the next grow (from BackoffMin to BackoffMax);
// a subscription that was lost resets it.
func (w *switchWatch) run() {
	defer close(w.done)
	var pause time.Duration
	for next := int(w.s.preferred.Load()); ; next++ {
		if w.watch(w.s.addrs[next%len(w.s.addrs)]) {
			pause = w.backoff.min
		} else {
			pause = w.backoff.grow(pause)
		}
		if !w.sleep(pause) {
			return
		}
	}
}

// sleep waits about d; false when the watch stopped first.
func (w *switchWatch) sleep(d time.Duration) bool {
	t := time.NewTimer(jitter(d))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.life.Done():
		return false
	}
}

// watch subscribes on the sentinel at addr and follows its announcements
// until the connection fails, the sentinel falls silent or the watch
// stops. It reports whether it subscribed.
func (w *switchWatch) watch(addr string) (subscribed bool) {
	conn, err := w.subscribe(addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	w.listen(conn)
	return true
}

// subscribe connects to the sentinel at addr and subscribes to
// +switch-master, then asks where the master is, on a connection of its
// own: a switch missed while no sentinel was watched (before the first
// subscription, or between two) is caught up with, and one after the
// subscription arrives as a message.
func (w *switchWatch) subscribe(addr string) (*manager.Conn, error) {
	ctx, cancel := context.WithTimeout(w.life, w.s.timeout)
	defer cancel()
	conn, err := w.s.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if _, err = conn.Do(ctx, subscribeSwitch, 1); err == nil {
		var master string
		if master, err = w.s.askOne(ctx, addr); err == nil {
			w.switchTo(master)
			return conn, nil
		}
	}
	_ = conn.Close()
	return nil, err
}

// listen handles what the sentinel sends until the connection fails, the
// watch stops, or the sentinel answers nothing, not even a PING, for two
// sentinelPingIntervals.
func (w *switchWatch) listen(conn *manager.Conn) {
	pinged := false
	for {
		ctx, cancel := context.WithTimeout(w.life, sentinelPingInterval)
		v, err := conn.Receive(ctx)
		cancel()
		switch {
		case err == nil:
			pinged = false
			w.handle(v)
		case w.life.Err() != nil, !errors.Is(err, context.DeadlineExceeded), pinged:
			return
		default:
			if conn.Send(sentinelPing, w.s.timeout) != nil {
				return
			}
			pinged = true
		}
	}
}

// handle acts on one message: a +switch-master for our master, whose text
// is "<name> <old ip> <old port> <new ip> <new port>". Anything else (the
// PING's answer, a switch of another master) is ignored.
func (w *switchWatch) handle(v Value) {
	parts, err := v.Strings()
	if err != nil || len(parts) != 3 || parts[0] != "message" || parts[1] != "+switch-master" {
		return
	}
	f := strings.Fields(parts[2])
	if len(f) != 5 || f[0] != w.s.master {
		return
	}
	w.switchTo(net.JoinHostPort(f[3], f[4]))
}

// switchTo hands addr to onSwitch unless it is the master known already.
func (w *switchWatch) switchTo(addr string) {
	if addr == w.known {
		return
	}
	w.logSwitch(w.known, addr)
	w.known = addr
	w.onSwitch(addr)
}

// logSwitch records that the sentinels named a new master: announced by
// +switch-master, or found by asking after a (re)subscription.
func (w *switchWatch) logSwitch(old, addr string) {
	if w.log != nil {
		w.log.LogAttrs(context.Background(), slog.LevelInfo, "redmux: master switched",
			slog.String("master", w.s.master), slog.String("old", old), slog.String("new", addr))
	}
}
