package redmux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// handshake is what every new connection (each manager's, each reconnect,
// each dedicated connection) runs before it serves anything, checking
// every reply:
//
//   - unless Protocol is 2: HELLO 3, with AUTH and SETNAME folded in. A
//     server without HELLO answers it with an unknown-command error; with
//     Protocol 0 the connection then falls back to RESP2.
//   - SELECT when DB is set, CLIENT SETINFO with the library's name and
//     version (refused by servers before Redis 7.2: ignored), and on RESP2
//     AUTH, CLIENT SETNAME and a PING that must be answered PONG, so that
//     even a bare configuration proves the peer is a Redis server.
//
// The negotiated version is stored in negotiated. Errors name the
// commands, never their arguments, which hold the password.
func (c Config) handshake(negotiated *atomic.Int32) manager.Handshake {
	return func(ctx context.Context, hc *manager.HandshakeConn) error {
		err := c.runHandshake(ctx, hc, negotiated)
		return c.explainHandshakeRead(err)
	}
}

func (c Config) runHandshake(ctx context.Context, hc *manager.HandshakeConn, negotiated *atomic.Int32) error {
	user, pass, err := c.credentials(ctx)
	if err != nil {
		return fmt.Errorf("Config.CredentialsProvider: %w", err)
	}
	version, role := 2, ""
	if c.Protocol != 2 {
		if version, role, err = c.hello(hc, user, pass); err != nil {
			return err
		}
	}
	steps := c.setupSteps(version, user, pass, role)
	replies, err := hc.ExchangeAll(steps.cmds...)
	if err != nil {
		return err
	}
	if err := steps.check(replies, pass); err != nil {
		return err
	}
	if c.requireMaster {
		if err := checkMaster(role, steps.roleReply(replies)); err != nil {
			return err
		}
	}
	negotiated.Store(int32(version))
	return nil
}

// credentials returns the username and password for a new connection.
func (c Config) credentials(ctx context.Context) (user, pass string, err error) {
	if c.CredentialsProvider != nil {
		return c.CredentialsProvider(ctx)
	}
	return c.Username, c.Password, nil
}

// hello sends HELLO 3 and returns the protocol the connection speaks: 3,
// or 2 when the server has no HELLO and Protocol is 0; and, on 3, the role
// HELLO reports ("master" or "replica").
func (c Config) hello(hc *manager.HandshakeConn, user, pass string) (version int, role string, err error) {
	args, name := []string{"HELLO", "3"}, "HELLO 3"
	if pass != "" {
		args = append(args, "AUTH", orDefault(user, "default"), pass)
		name += " AUTH" // errors name the steps, never the arguments
	}
	if c.ClientName != "" {
		args = append(args, "SETNAME", c.ClientName)
	}
	replies, err := hc.Exchange(resp.AppendCommandStrings(nil, args...))
	if err != nil {
		return 0, "", err
	}
	v := replies[0]
	if err := v.Err(); err != nil {
		if c.Protocol == 0 && lacksHello(err) {
			return 2, "", nil
		}
		return 0, "", stepError(name, err, pass)
	}
	role, err = checkHello(v)
	return 3, role, err
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// lacksHello reports whether HELLO's error says the server does not know
// HELLO (before Redis 6) or does not speak RESP3.
func lacksHello(err error) bool {
	var rerr *RedisError
	if !errors.As(err, &rerr) {
		return false
	}
	msg := strings.ToLower(rerr.Message)
	return strings.HasPrefix(msg, "noproto") || strings.Contains(msg, "unknown command")
}

// checkHello accepts HELLO 3's reply: a map whose "proto" is 3. It
// returns the map's "role", empty if it has none.
func checkHello(v Value) (role string, err error) {
	pairs, err := v.Map()
	if err != nil {
		return "", fmt.Errorf("HELLO 3: %w: got %v instead of a map", manager.ErrNotRESP, v.Type())
	}
	proto := false
	for _, p := range pairs {
		switch key, _ := p.Key.Text(); key {
		case "proto":
			if n, _ := p.Value.Int64(); n != 3 {
				return "", fmt.Errorf("HELLO 3: the server answered with protocol %v", p.Value)
			}
			proto = true
		case "role":
			role, _ = p.Value.Text()
		}
	}
	if !proto {
		return "", fmt.Errorf("HELLO 3: the reply has no \"proto\" field")
	}
	return role, nil
}

// setupSteps are the commands after HELLO.
type setupSteps struct {
	cmds     [][]byte
	names    []string
	optional []bool // a refusal is ignored
	pingLast bool
}

// helloRole is the role HELLO reported, "" on RESP2 or from a server
// whose HELLO does not say.
func (c Config) setupSteps(version int, user, pass, helloRole string) setupSteps {
	var s setupSteps
	// name is what errors show: never the arguments.
	add := func(name string, optional bool, args ...string) {
		s.cmds = append(s.cmds, resp.AppendCommandStrings(nil, args...))
		s.names = append(s.names, name)
		s.optional = append(s.optional, optional)
	}
	if version == 2 && pass != "" {
		if user != "" {
			add("AUTH", false, "AUTH", user, pass)
		} else {
			add("AUTH", false, "AUTH", pass)
		}
	}
	if c.DB != 0 {
		add("SELECT", false, "SELECT", strconv.Itoa(c.DB))
	}
	if version == 2 && c.ClientName != "" {
		add("CLIENT SETNAME", false, "CLIENT", "SETNAME", c.ClientName)
	}
	if c.readOnlyReplica {
		add("READONLY", false, "READONLY")
	}
	if c.requireMaster && helloRole == "" {
		add("ROLE", false, "ROLE") // HELLO's reply did not say
	}
	add("CLIENT SETINFO", true, "CLIENT", "SETINFO", "LIB-NAME", libName)
	add("CLIENT SETINFO", true, "CLIENT", "SETINFO", "LIB-VER", libVersion())
	if version == 2 {
		add("PING", false, "PING")
		s.pingLast = true
	}
	return s
}

// check fails on the first refused step that is not optional, and checks
// that a final PING was answered PONG.
func (s setupSteps) check(replies []Value, pass string) error {
	for i, v := range replies {
		if err := v.Err(); err != nil && !s.optional[i] {
			return stepError(s.names[i], err, pass)
		}
	}
	if s.pingLast {
		return checkPong(replies[len(replies)-1])
	}
	return nil
}

// roleReply returns ROLE's reply, if ROLE was a step.
func (s setupSteps) roleReply(replies []Value) Value {
	for i, name := range s.names {
		if name == "ROLE" && i < len(replies) {
			return replies[i]
		}
	}
	return Value{}
}

// stepError is the error of a refused handshake step, with the password
// cut out of the server's message: a server that does not know a command
// may quote its arguments ("unknown command 'HELLO', with args beginning
// with: '3' 'AUTH' ...").
func stepError(step string, err error, password string) error {
	var rerr *RedisError
	if password != "" && errors.As(err, &rerr) && strings.Contains(rerr.Message, password) {
		redacted := *rerr
		redacted.Message = strings.ReplaceAll(rerr.Message, password, "[password]")
		err = &redacted
	}
	return fmt.Errorf("%s: %w", step, err)
}

// checkPong accepts PING's reply: +PONG.
func checkPong(v Value) error {
	if v.Type() == resp.TypeSimpleString {
		if text, _ := v.Text(); text == "PONG" {
			return nil
		}
	}
	return fmt.Errorf("PING: %w: got %v instead of PONG", manager.ErrNotRESP, v)
}

// explainHandshakeRead adds a hint to a handshake cut short by the server
// before it answered: a TLS port does that to a client speaking in clear,
// and a server requiring client certificates to a TLS client without one.
func (c Config) explainHandshakeRead(err error) error {
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		return err
	}
	if c.TLSConfig != nil {
		return fmt.Errorf("the server closed the TLS connection without answering (does it require a client certificate? see tls.Config.Certificates): %w", err)
	}
	return fmt.Errorf("the server closed the connection without answering (if the port expects TLS, set Config.TLSConfig or use a rediss:// URL): %w", err)
}

// libName is what CLIENT SETINFO LIB-NAME reports.
const libName = "redmux"

// libVersion is the module's version as the build recorded it, for CLIENT
// SETINFO LIB-VER.
var libVersion = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if info.Main.Path == "github.com/redmux/redmux" {
		return strings.Trim(info.Main.Version, "()")
	}
	for _, dep := range info.Deps {
		if dep.Path == "github.com/redmux/redmux" {
			return dep.Version
		}
	}
	return "unknown"
})
