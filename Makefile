# redmux — the project's commands. `make help` lists them.

GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 5m
DEMO_FLAGS  ?=
BENCH_FLAGS ?=
CHAOS_DURATION ?= 60s

.PHONY: help test lint fuzz bench bench-micro chaos demo redis-server

help:
	@echo "make demo    run cmd/redmux-bench against an embedded miniredis (DEMO_FLAGS='-addr host:port' for a real server,"
	@echo "             DEMO_FLAGS='-cluster host:port,host:port' for a Redis Cluster)"
	@echo "make test    vet, unit, integration (real redis-server) and race stress tests, all with -race"
	@echo "make lint    gofmt check, go vet, staticcheck"
	@echo "make fuzz    fuzz the RESP reader for FUZZTIME (default $(FUZZTIME))"
	@echo "make bench   redmux against go-redis, rueidis and redigo on its own redis-server, then on its own 3-master"
	@echo "             Redis Cluster (bench/, ~11 min; results in bench/results; BENCH_FLAGS=-quick for a smoke run,"
	@echo "             BENCH_FLAGS=-cluster=false to skip the cluster, -single=false for the cluster only, -h for the flags)"
	@echo "make bench-micro  micro-benchmarks of resp/ and of the client against an in-process server"
	@echo "make chaos   the chaos suite's long form: CHAOS_DURATION (default $(CHAOS_DURATION)) of random faults, then a server SIGKILL"

## test: everything a contributor must pass. Never skips the real-server tests.
test: redis-server
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -run '^TestAllocationBudget$$' .   # allocation counts need a build without -race
	cd redmuxotel && $(GO) vet ./... && $(GO) test -race -count=1 -timeout 5m ./...   # the OpenTelemetry module

redis-server:
	@./scripts/ensure-redis-server.sh

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd redmuxotel && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...

fuzz:
	$(GO) test ./resp/ -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME)

## bench: the side-by-side benchmark, a separate module so the peers never
## enter the library's go.mod. It starts and stops its own redis-server.
bench: redis-server
	cd bench && $(GO) run . $(BENCH_FLAGS)

bench-micro:
	$(GO) test ./resp/ . -run '^$$' -bench . -benchmem

## chaos: the long form of the chaos suite (make test runs a 3 s form).
chaos: redis-server
	REDMUX_CHAOS_DURATION=$(CHAOS_DURATION) $(GO) test -race -count=1 -timeout 15m -run '^TestChaos' -v .

demo:
	$(GO) run ./cmd/redmux-bench $(DEMO_FLAGS)
