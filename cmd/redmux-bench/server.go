package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redmux/redmux"
)

// server is the server under load.
type server struct {
	addr     string
	label    string // for the summary
	embedded bool
	close    func()
}

// openServer returns the server at addr, or starts an embedded miniredis
// on a free loopback port when addr is empty, saying which on out.
func openServer(addr string, out io.Writer) (*server, error) {
	if addr != "" {
		fmt.Fprintf(out, "using the server at %s\n", addr)
		return &server{addr: addr, label: addr, close: func() {}}, nil
	}
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("starting the embedded miniredis: %w", err)
	}
	fmt.Fprintf(out, "no -addr given: started an embedded miniredis (an in-process fake Redis) on %s\n", mr.Addr())
	return &server{
		addr:     mr.Addr(),
		label:    "embedded miniredis on " + mr.Addr(),
		embedded: true,
		close:    mr.Close,
	}, nil
}

// describe adds the server's name and version, from INFO server, to the
// label of a real server. It is best effort: a server that does not answer
// keeps its plain label.
func (s *server) describe(ctx context.Context, client *redmux.Client) {
	if s.embedded {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	v, err := client.Do(ctx, "INFO", "server")
	if err != nil {
		return
	}
	info, err := v.Bytes()
	if err != nil {
		return
	}
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(info))
	for sc.Scan() {
		if k, v, ok := bytes.Cut(bytes.TrimSpace(sc.Bytes()), []byte(":")); ok {
			fields[string(k)] = string(v)
		}
	}
	switch {
	case fields["valkey_version"] != "":
		s.label += " (valkey " + fields["valkey_version"] + ")"
	case fields["redis_version"] != "":
		s.label += " (redis " + fields["redis_version"] + ")"
	}
}
