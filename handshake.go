package redmux

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redmux/redmux/manager"
	"github.com/redmux/redmux/resp"
)

// handshake is what every new connection runs before it serves anything:
// AUTH, SELECT and CLIENT SETNAME as configured, then a PING, all in one
// write. Every reply is checked, and the PING must be answered PONG, so
// that even a bare configuration proves the peer is a Redis server in sync
// with us; the manager then refuses any byte beyond these replies.
func (c Config) handshake() manager.Handshake {
	cmds, names := c.handshakeCommands()
	return func(ctx context.Context, hc *manager.HandshakeConn) error {
		replies, err := hc.Exchange(cmds...)
		if err != nil {
			return err
		}
		for i, v := range replies {
			if err := v.Err(); err != nil {
				return fmt.Errorf("%s: %w", names[i], err)
			}
		}
		return checkPong(replies[len(replies)-1])
	}
}

// handshakeCommands returns the encoded commands and their names (for
// errors: never their arguments, which hold the password).
func (c Config) handshakeCommands() (cmds [][]byte, names []string) {
	add := func(args ...string) {
		cmds = append(cmds, resp.AppendCommandStrings(nil, args...))
		names = append(names, args[0])
	}
	switch {
	case c.Password != "" && c.Username != "":
		add("AUTH", c.Username, c.Password)
	case c.Password != "":
		add("AUTH", c.Password)
	}
	if c.DB != 0 {
		add("SELECT", strconv.Itoa(c.DB))
	}
	if c.ClientName != "" {
		add("CLIENT", "SETNAME", c.ClientName)
	}
	add("PING")
	return cmds, names
}

// checkPong accepts PING's reply: +PONG.
func checkPong(v Value) error {
	if v.Type() == resp.TypeSimpleString {
		if b, _ := v.Bytes(); string(b) == "PONG" {
			return nil
		}
	}
	return fmt.Errorf("PING: %w: got a %v instead of PONG", manager.ErrNotRESP, v.Type())
}
