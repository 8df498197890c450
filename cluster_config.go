package redmux

import (
	"errors"
	"fmt"
	"time"
)

// ClusterConfig configures a ClusterClient.
type ClusterConfig struct {
	// Addrs are seed nodes, "host:port": any reachable node of the
	// cluster will do; the others are discovered from it. Required.
	Addrs []string
	// Node is the template of every node's connections: Managers,
	// credentials, TLS, Protocol, timeouts, limits. Its Addr is ignored
	// (each node has its own), DB must be 0 (a cluster has only database 0)
	// and Network must be TCP. Two defaults differ from Config's: Managers
	// is 1 per node (DefaultClusterNodeManagers), since the client already
	// holds a connection per node and fewer connections mean larger
	// batches, and with it MaxManagers is 1 too: nodes do not grow unless
	// Node.MaxManagers is set; and ReconnectWait is 100ms rather than 5s, since a node that
	// is down is the cluster client's to work around (see RetryWait), not a
	// reason to wait.
	Node Config
	// ReadFromReplicas sends commands that only read (GET, HGETALL, ...:
	// those Redis flags read-only) to a replica of the key's shard, taking
	// the shard's healthy replicas in turn, and to the master when none is
	// healthy. Replica connections send READONLY in their handshake. A
	// replica may lag behind its master.
	ReadFromReplicas bool
	// MaxRedirects bounds the MOVED and ASK redirections one command
	// follows before it returns the last one as a *RedisError
	// (default 16).
	MaxRedirects int
	// RetryWait bounds how long one command keeps retrying while the
	// cluster cannot serve it: TRYAGAIN, CLUSTERDOWN, a node that is
	// unreachable or was demoted (default 5s). The command's context can
	// end the wait sooner. Commands that may have run are never retried.
	RetryWait time.Duration
	// MinRefreshInterval is the least time between two reloads of the
	// cluster's topology (default 100ms). A reload is triggered by
	// MOVED, CLUSTERDOWN and connection errors; those that arrive
	// meanwhile share the next reload.
	MinRefreshInterval time.Duration
}

// Defaults of ClusterConfig's zero values.
const (
	DefaultMaxRedirects             = 16
	DefaultClusterRetryWait         = 5 * time.Second
	DefaultMinRefreshInterval       = 100 * time.Millisecond
	DefaultClusterNodeReconnectWait = 100 * time.Millisecond
	// DefaultClusterNodeManagers is ClusterConfig.Node.Managers' default.
	// On a 2-CPU machine against 3 masters, one manager per node gave 40%
	// more ops/s than two at 64 goroutines and 12% more at 512 (see
	// BENCHMARKS.md).
	DefaultClusterNodeManagers = 1
)

// validate reports the first invalid field by name.
func (c ClusterConfig) validate() error {
	if len(c.Addrs) == 0 {
		return clusterConfigError("Addrs", "is empty; want at least one node's host:port")
	}
	for _, a := range c.Addrs {
		if a == "" {
			return clusterConfigError("Addrs", "holds an empty address")
		}
	}
	if c.Node.DB != 0 {
		return clusterConfigError("Node.DB", fmt.Sprintf("is %d; a Redis Cluster has only database 0", c.Node.DB))
	}
	if c.Node.Network == "unix" {
		return clusterConfigError("Node.Network", "is \"unix\"; cluster nodes are reached over TCP")
	}
	for _, f := range []struct {
		name  string
		value time.Duration
	}{{"RetryWait", c.RetryWait}, {"MinRefreshInterval", c.MinRefreshInterval}} {
		if f.value < 0 || f.value > limitDuration {
			return clusterConfigError(f.name, fmt.Sprintf("is %v; want 0 (the default) up to %v", f.value, limitDuration))
		}
	}
	if c.MaxRedirects < 0 || c.MaxRedirects > 1024 {
		return clusterConfigError("MaxRedirects", fmt.Sprintf("is %d; want 0 (the default) up to 1024", c.MaxRedirects))
	}
	node := c.Node
	node.Addr = c.Addrs[0]
	var cerr *ConfigError
	if err := node.validate(); errors.As(err, &cerr) {
		return clusterConfigError("Node."+cerr.Field, cerr.Reason)
	}
	return nil
}

// clusterConfigError reports an invalid ClusterConfig field.
func clusterConfigError(field, reason string) error {
	return &ConfigError{Field: field, Reason: reason, config: "ClusterConfig"}
}

// resolved returns a copy of c with every zero value replaced by its
// default.
func (c ClusterConfig) resolved() ClusterConfig {
	if c.MaxRedirects == 0 {
		c.MaxRedirects = DefaultMaxRedirects
	}
	if c.RetryWait == 0 {
		c.RetryWait = DefaultClusterRetryWait
	}
	if c.MinRefreshInterval == 0 {
		c.MinRefreshInterval = DefaultMinRefreshInterval
	}
	if c.Node.ReconnectWait == 0 {
		c.Node.ReconnectWait = DefaultClusterNodeReconnectWait
	}
	if c.Node.Managers == 0 {
		c.Node.Managers = DefaultClusterNodeManagers
	}
	c.Addrs = append([]string(nil), c.Addrs...)
	return c
}

// nodeConfig is the configuration of one node's Client. With
// ReadFromReplicas every node's connections send READONLY: roles change
// with failovers, and READONLY is harmless on a master.
func (c ClusterConfig) nodeConfig(addr string) Config {
	cfg := c.Node
	cfg.Addr = addr
	cfg.readOnlyReplica = c.ReadFromReplicas
	return cfg
}
