package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"time"

	"github.com/redmux/redmux/resp"
)

// opTimeout bounds one admin command when ctx allows longer, so that one
// hung server cannot use up a whole wait.
const opTimeout = 10 * time.Second

// pollInterval is how often the bounded waits of this package poll.
const pollInterval = 25 * time.Millisecond

// adminConn is a minimal RESP2 client for the harness's own admin commands.
type adminConn struct {
	addr string
	c    net.Conn
	r    *resp.Reader
	buf  []byte
}

// dialAdmin connects to addr and authenticates with password when it is
// not empty.
func dialAdmin(ctx context.Context, addr, password string) (*adminConn, error) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	a := &adminConn{addr: addr, c: c, r: resp.NewReader(bufio.NewReader(c))}
	if password != "" {
		if _, err := a.do(ctx, "AUTH", password); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	return a, nil
}

// do sends one command and reads its reply. An error reply is returned as
// the error (a *resp.Error) along with the reply.
func (a *adminConn) do(ctx context.Context, args ...string) (resp.Value, error) {
	deadline := time.Now().Add(opTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = a.c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = a.c.SetDeadline(time.Now()) })
	defer stop()
	a.buf = resp.AppendCommandStrings(a.buf[:0], args...)
	if _, err := a.c.Write(a.buf); err != nil {
		return resp.Value{}, a.wrap(ctx, args, err)
	}
	v, err := a.r.ReadValue()
	if err != nil {
		return resp.Value{}, a.wrap(ctx, args, err)
	}
	if err := v.Err(); err != nil {
		return v, fmt.Errorf("redistest: %s on %s: %w", args[0], a.addr, err)
	}
	return v, nil
}

func (a *adminConn) wrap(ctx context.Context, args []string, err error) error {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return fmt.Errorf("redistest: %s on %s: %w", args[0], a.addr, err)
}

// text runs a command whose reply is a string.
func (a *adminConn) text(ctx context.Context, args ...string) (string, error) {
	v, err := a.do(ctx, args...)
	if err != nil {
		return "", err
	}
	return v.Text()
}

// info runs INFO section and returns its fields.
func (a *adminConn) info(ctx context.Context, section string) (map[string]string, error) {
	s, err := a.text(ctx, "INFO", section)
	if err != nil {
		return nil, err
	}
	return parseInfo(s), nil
}

func (a *adminConn) close() { _ = a.c.Close() }

// command runs one command on a connection of its own.
func command(ctx context.Context, addr, password string, args ...string) (resp.Value, error) {
	a, err := dialAdmin(ctx, addr, password)
	if err != nil {
		return resp.Value{}, err
	}
	defer a.close()
	return a.do(ctx, args...)
}

// parseInfo reads INFO's "field:value" lines.
func parseInfo(s string) map[string]string {
	m := make(map[string]string)
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// requirePass returns the value of the last --requirepass in args, or "".
func requirePass(args []string) string {
	pass := ""
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--requirepass" {
			pass = args[i+1]
		}
	}
	return pass
}

// redisCLI runs redis-cli with args, authenticating with password through
// the environment so it is neither on the command line nor warned about.
// Its combined output is returned, and included in the error.
func redisCLI(ctx context.Context, password string, args ...string) (string, error) {
	path, err := exec.LookPath("redis-cli")
	if err != nil {
		return "", errors.New("redis-cli is not on PATH (it comes with redis-server); " + InstallHint)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	dieWithParent(cmd)
	if password != "" {
		cmd.Env = append(cmd.Environ(), "REDISCLI_AUTH="+password)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return string(out), fmt.Errorf("redistest: redis-cli %s: %v; output:\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// sleepCtx waits one poll interval or until ctx ends.
func sleepCtx(ctx context.Context) error {
	t := time.NewTimer(pollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
