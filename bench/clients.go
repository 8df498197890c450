package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/gomodule/redigo/redis"
	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
	"github.com/redmux/redmux"
)

// Client is the little each benchmarked library must do: GET and SET one
// key. Get reports a missing key as found == false with a nil error.
type Client interface {
	Get(ctx context.Context, key string) (value []byte, found bool, err error)
	Set(ctx context.Context, key string, value []byte) error
	Close()
}

// clientSpec opens one library's client for a measurement with
// concurrency goroutines: open on one server, openCluster (nil when the
// client has no cluster mode) on a Redis Cluster given its seed nodes.
type clientSpec struct {
	name        string
	open        func(ctx context.Context, addr string, concurrency int) (Client, error)
	openCluster func(ctx context.Context, addrs []string, concurrency int) (Client, error)
}

// Client names, in the default order of a round.
const (
	nameRedmux  = "redmux"
	nameGoRedis = "go-redis"
	nameRueidis = "rueidis"
	nameRedigo  = "redigo"
)

// baseline is the client every other is compared with.
const baseline = nameRueidis

// clientSpecs lists the benchmarked clients.
var clientSpecs = []clientSpec{
	{nameRedmux, openRedmux, openRedmuxCluster},
	{nameGoRedis, openGoRedis, openGoRedisCluster},
	{nameRueidis, openRueidis, openRueidisCluster},
	{nameRedigo, openRedigo, nil}, // redigo has no cluster client of its own
}

// clientNames returns the names of clientSpecs, in order.
func clientNames() []string {
	names := make([]string, len(clientSpecs))
	for i, s := range clientSpecs {
		names[i] = s.name
	}
	return names
}

// optionalSpecs are clients run only when -clients names them: variants
// of a client's configuration, for comparisons such as RESP2 against RESP3.
var optionalSpecs = []clientSpec{
	{"redmux-resp2", openRedmuxRESP2, nil},
}

// findClient returns the spec called name.
func findClient(name string) (clientSpec, error) {
	all := append(slices.Clone(clientSpecs), optionalSpecs...)
	i := slices.IndexFunc(all, func(s clientSpec) bool { return s.name == name })
	if i < 0 {
		return clientSpec{}, fmt.Errorf("unknown client %q (want one of %v, or redmux-resp2)", name, clientNames())
	}
	return all[i], nil
}

// describer is implemented by every adapter: the configuration the client
// runs with, defaults resolved, for the report. It is apart from Client so
// that Client stays the three calls a workload needs.
type describer interface {
	Describe() string
}

// extraStats is implemented by adapters that report figures of their own
// for the raw results (redmux: requests per write).
type extraStats interface {
	extraStats() map[string]float64
}

// --- redmux ---

// redmuxClient is redmux with its defaults: redmux.Connect(ctx, addr).
type redmuxClient struct{ c *redmux.Client }

func openRedmux(ctx context.Context, addr string, _ int) (Client, error) {
	c, err := redmux.Connect(ctx, addr)
	if err != nil {
		return nil, err
	}
	return redmuxClient{c}, nil
}

// openRedmuxRESP2 is redmux with its defaults but Protocol 2, to measure
// what RESP3 costs or saves.
func openRedmuxRESP2(ctx context.Context, addr string, _ int) (Client, error) {
	c, err := redmux.New(ctx, redmux.Config{Addr: addr, Protocol: 2})
	if err != nil {
		return nil, err
	}
	return redmuxClient{c}, nil
}

func (r redmuxClient) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return r.c.Get(ctx, key)
}

func (r redmuxClient) Set(ctx context.Context, key string, value []byte) error {
	return r.c.Set(ctx, key, value)
}

func (r redmuxClient) Close() { _ = r.c.Close() }

func (r redmuxClient) Describe() string {
	return fmt.Sprintf("redmux.Connect(ctx, addr), all defaults but the protocol noted: RESP%d, %d managers at the end of the run "+
		"(dials DefaultManagers = GOMAXPROCS clamped to 2..4, opens more up to DefaultMaxManagers = %d while fewer requests than that are outstanding), "+
		"QueueLen=%d, MaxInFlight=%d, MaxBatchBytes=%d",
		r.c.Protocol(), len(r.c.Stats().Managers), redmux.DefaultMaxManagers, redmux.DefaultQueueLen, redmux.DefaultMaxInFlight, redmux.DefaultMaxBatchBytes)
}

// extraStats returns redmux's requests per write, for the raw results,
// and how many managers (connections) it ran by the end.
func (r redmuxClient) extraStats() map[string]float64 {
	st := r.c.Stats()
	extra := batchStats(st)
	if extra == nil {
		extra = map[string]float64{}
	}
	extra["managers"] = float64(len(st.Managers))
	return extra
}

// batchStats returns the requests per write of redmux's stats st.
func batchStats(st redmux.Stats) map[string]float64 {
	t := st.Total()
	if t.Batches == 0 {
		return nil
	}
	return map[string]float64{"avg_batch": float64(t.Written) / float64(t.Batches)}
}

// --- go-redis ---

// goRedisClient is go-redis with its defaults: redis.NewClient with only
// Addr set.
type goRedisClient struct{ c *goredis.Client }

func openGoRedis(ctx context.Context, addr string, _ int) (Client, error) {
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, err
	}
	return goRedisClient{c}, nil
}

func (g goRedisClient) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := g.c.Get(ctx, key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (g goRedisClient) Set(ctx context.Context, key string, value []byte) error {
	return g.c.Set(ctx, key, value, 0).Err()
}

func (g goRedisClient) Close() { _ = g.c.Close() }

func (g goRedisClient) Describe() string {
	o := g.c.Options()
	return fmt.Sprintf("redis.NewClient(&redis.Options{Addr: addr}), all defaults: PoolSize=%d (10 x GOMAXPROCS), "+
		"MinIdleConns=%d, Protocol=%d, ReadBufferSize=%d, WriteBufferSize=%d, ReadTimeout=%v, WriteTimeout=%v, PoolTimeout=%v",
		o.PoolSize, o.MinIdleConns, o.Protocol, o.ReadBufferSize, o.WriteBufferSize, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout)
}

// --- rueidis ---

// rueidisClient is rueidis with its defaults except DisableCache, so
// every GET goes to the server.
type rueidisClient struct{ c rueidis.Client }

func openRueidis(_ context.Context, addr string, _ int) (Client, error) {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		return nil, err
	}
	return rueidisClient{c}, nil
}

func (r rueidisClient) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := r.c.Do(ctx, r.c.B().Get().Key(key).Build()).AsBytes()
	if rueidis.IsRedisNil(err) {
		return nil, false, nil
	}
	return v, err == nil, err
}

// Set passes value without a copy (rueidis.BinaryString). That is safe
// here: the caller reuses the buffer only after Do has returned, when the
// command has been written and answered.
func (r rueidisClient) Set(ctx context.Context, key string, value []byte) error {
	return r.c.Do(ctx, r.c.B().Set().Key(key).Value(rueidis.BinaryString(value)).Build()).Error()
}

func (r rueidisClient) Close() { r.c.Close() }

func (r rueidisClient) Describe() string {
	return fmt.Sprintf("rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true}), "+
		"otherwise defaults: auto-pipelining on, PipelineMultiplex default = %d pipelined connection(s) "+
		"(2^min(log2(GOMAXPROCS), 2)), RingScaleEachConn=%d, ReadBufferEachConn=WriteBufferEachConn=%d, MaxFlushDelay=0",
		rueidisConnections(runtime.GOMAXPROCS(0)), rueidis.DefaultRingScale, rueidis.DefaultReadBuffer)
}

// rueidisConnections is the number of pipelined connections rueidis opens
// to a single server by default (its singleClientMultiplex, v1.0.79).
func rueidisConnections(gomaxprocs int) int {
	return 1 << rueidisMultiplex(gomaxprocs)
}

// rueidisMultiplex is ClientOption.PipelineMultiplex as rueidis resolves
// its zero value for a single server: log2 of the connections,
// min(log2(GOMAXPROCS), 2).
func rueidisMultiplex(gomaxprocs int) int {
	return min(int(math.Log2(float64(gomaxprocs))), 2)
}

// --- redigo ---

// redigoClient is a redigo redis.Pool used concurrently as documented:
// MaxActive bounds the connections and Wait makes Get wait for one. MaxIdle
// equals MaxActive, so connections are reused rather than redialled (with
// MaxIdle's zero value every Get would dial anew).
type redigoClient struct{ p *redis.Pool }

func openRedigo(ctx context.Context, addr string, concurrency int) (Client, error) {
	p := &redis.Pool{
		MaxActive: concurrency,
		MaxIdle:   concurrency,
		Wait:      true,
		DialContext: func(ctx context.Context) (redis.Conn, error) {
			return redis.DialContext(ctx, "tcp", addr)
		},
	}
	conn, err := p.GetContext(ctx)
	if err == nil {
		_, err = conn.Do("PING")
		_ = conn.Close()
	}
	if err != nil {
		_ = p.Close()
		return nil, err
	}
	return redigoClient{p}, nil
}

func (r redigoClient) Get(ctx context.Context, key string) ([]byte, bool, error) {
	conn, err := r.p.GetContext(ctx)
	if err != nil {
		return nil, false, err
	}
	defer conn.Close()
	v, err := redis.Bytes(redis.DoContext(conn, ctx, "GET", key))
	if errors.Is(err, redis.ErrNil) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (r redigoClient) Set(ctx context.Context, key string, value []byte) error {
	conn, err := r.p.GetContext(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = redis.DoContext(conn, ctx, "SET", key, value)
	return err
}

func (r redigoClient) Close() { _ = r.p.Close() }

func (r redigoClient) Describe() string {
	return fmt.Sprintf("redis.Pool{MaxActive: %d, MaxIdle: %d, Wait: true, DialContext: redis.DialContext(tcp)} "+
		"(MaxActive = MaxIdle = goroutines), otherwise defaults: IdleTimeout=%v, MaxConnLifetime=%v, no read/write timeouts",
		r.p.MaxActive, r.p.MaxIdle, time.Duration(0), time.Duration(0))
}
