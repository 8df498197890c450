package redmux

import (
	"context"
	"net"

	"github.com/redmux/redmux/manager"
)

// Hook is middleware around what a client does: each field, when set,
// takes the next step and returns a step that wraps it, calling next once
// (or not at all, to fail the call without sending it). Config.Hooks lists
// hooks outermost first; any field may be nil. With no hook set, a call
// pays nothing for the feature (one nil check; no allocation).
//
// Hooks run on the caller's goroutine (Dial on the goroutine that dials:
// a manager's, on reconnects) and may run concurrently: they must be safe
// for concurrent use. They observe: the command that is sent is the one
// the caller made, whatever a hook passes to next.
type Hook struct {
	// Dial wraps every connection's dial (TLS included), for the
	// managers, their reconnects, dedicated connections and
	// subscriptions.
	Dial func(next DialFunc) DialFunc
	// Command wraps every command sent alone: the typed commands and Do,
	// on a Client and on a DedicatedConn (blocking commands included).
	Command func(next CommandFunc) CommandFunc
	// Pipeline wraps every request of several commands: Pipeline,
	// RunBatch, Multi (MULTI ... EXEC as one request) and Tx.Exec.
	Pipeline func(next PipelineFunc) PipelineFunc
}

// DialFunc opens a connection, as Config.Dial does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// CommandFunc sends one command and returns its reply. A server error
// reply comes back as the Value and as a *RedisError; use KindOf to sort
// errors.
type CommandFunc func(ctx context.Context, cmd *Command) (Value, error)

// PipelineFunc sends several commands as one request and returns their
// replies in order. A server error reply fails only its own Value; the
// error is for the request as a whole (connection, context, closed
// client).
type PipelineFunc func(ctx context.Context, p *Pipeline) ([]Value, error)

// Command describes a command to hooks. It belongs to the hook for the
// duration of the call and must not be kept after it returns.
type Command struct {
	// Name is the command's name, upper case ("GET", "CLIENT").
	Name string
	// Args are the arguments after the name, copies the hook may keep,
	// when Config.HookArguments is set; nil otherwise (arguments may hold
	// secrets and cost a copy).
	Args [][]byte
	// Addr is the server's address: the node's, on a ClusterClient.
	Addr string
	// Dedicated is true for a command on a dedicated connection.
	Dedicated bool

	send func(ctx context.Context) (Value, error) // the request, as made
}

// Pipeline describes a request of several commands to hooks, under
// Command's rules.
type Pipeline struct {
	// Commands are the commands, in order; each has Name, Args (with
	// Config.HookArguments), Addr and Dedicated set.
	Commands []Command
	// Addr is the server's address, Dedicated as for Command.
	Addr      string
	Dedicated bool

	send func(ctx context.Context) ([]Value, error)
}

// hookChain is a client's hooks composed once, at New.
type hookChain struct {
	command  CommandFunc
	pipeline PipelineFunc
	args     bool
	addr     string
}

// hookChain composes c's Command and Pipeline hooks, or returns nil when
// there is none, so that the calls pay a nil check only.
func (c Config) hookChain() *hookChain {
	var command CommandFunc = sendCommand
	var pipeline PipelineFunc = sendPipeline
	hooked := false
	for i := len(c.Hooks) - 1; i >= 0; i-- { // the first hook is outermost
		if h := c.Hooks[i].Command; h != nil {
			command, hooked = h(command), true
		}
		if h := c.Hooks[i].Pipeline; h != nil {
			pipeline, hooked = h(pipeline), true
		}
	}
	if !hooked {
		return nil
	}
	return &hookChain{command: command, pipeline: pipeline, args: c.HookArguments, addr: c.Addr}
}

// hookedDial wraps dial in c's Dial hooks.
func (c Config) hookedDial(dial DialFunc) DialFunc {
	for i := len(c.Hooks) - 1; i >= 0; i-- {
		if h := c.Hooks[i].Dial; h != nil {
			dial = h(dial)
		}
	}
	return dial
}

// sendCommand is the innermost step of every command chain.
func sendCommand(ctx context.Context, cmd *Command) (Value, error) {
	v, err := cmd.send(ctx)
	if err != nil {
		return v, err
	}
	return v, v.Err()
}

// sendPipeline is the innermost step of every pipeline chain.
func sendPipeline(ctx context.Context, p *Pipeline) ([]Value, error) { return p.send(ctx) }

// runCommand runs one encoded request, of one command, through the
// hooks; send sends it as made.
func (h *hookChain) runCommand(ctx context.Context, req *manager.Request, dedicated bool,
	send func(ctx context.Context) (Value, error)) (Value, error) {
	cmd := h.describe(req.Cmd, dedicated)
	cmd.send = send
	return h.command(ctx, &cmd)
}

// runPipeline runs one encoded request of several commands through the
// hooks.
func (h *hookChain) runPipeline(ctx context.Context, req *manager.Request, dedicated bool,
	send func(ctx context.Context) ([]Value, error)) ([]Value, error) {
	p := &Pipeline{Addr: h.addr, Dedicated: dedicated, send: send}
	ends, _ := splitCommands(req.Cmd) // encoded by this package: it parses
	start := 0
	for _, end := range ends {
		p.Commands = append(p.Commands, h.describe(req.Cmd[start:end], dedicated))
		start = end
	}
	return h.pipeline(ctx, p)
}

// describe reads one encoded command for the hooks.
func (h *hookChain) describe(encoded []byte, dedicated bool) Command {
	cmd := Command{Addr: h.addr, Dedicated: dedicated}
	e, err := readCommand(encoded)
	if err != nil {
		return cmd
	}
	cmd.Name = e.Name()
	if h.args {
		cmd.Args = commandArgs(encoded)
	}
	return cmd
}

// commandArgs copies the arguments after the name of one encoded command.
func commandArgs(encoded []byte) [][]byte {
	n, pos, ok := readLength(encoded, 0, '*')
	if !ok {
		return nil
	}
	args := make([][]byte, 0, max(n-1, 0))
	for i := range n {
		var arg []byte
		if arg, pos, ok = readBulk(encoded, pos); !ok {
			return args
		}
		if i > 0 {
			args = append(args, append([]byte(nil), arg...))
		}
	}
	return args
}
