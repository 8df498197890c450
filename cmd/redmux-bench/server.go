package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
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

// connectCluster connects a ClusterClient to the Redis Cluster whose seed
// nodes are seeds, each node's connections configured by node, saying so
// on out. Its server has nothing to close: the cluster is the user's.
func connectCluster(ctx context.Context, seeds []string, node redmux.Config, out io.Writer) (client, *server, error) {
	list := strings.Join(seeds, ",")
	fmt.Fprintf(out, "using the Redis Cluster with seed nodes %s\n", list)
	c, err := redmux.NewCluster(ctx, redmux.ClusterConfig{Addrs: seeds, Node: node})
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to the cluster at %s: %w", list, err)
	}
	nodes := len(c.ClusterStats().Nodes)
	fmt.Fprintf(out, "cluster: %d nodes dialed\n", nodes)
	return c, &server{addr: list, label: fmt.Sprintf("Redis Cluster via %s, %d nodes dialed", list, nodes), close: func() {}}, nil
}

// describe adds the server's name and version, from INFO server, to the
// label of a real server. It is best effort: a server that does not answer
// keeps its plain label.
func (s *server) describe(ctx context.Context, client client) {
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
