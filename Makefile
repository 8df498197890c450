# redmux — the project's commands. `make help` lists them.

GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 5m
DEMO_FLAGS  ?=

.PHONY: help test unit race lint fuzz bench demo redis-server

help:
	@echo "make demo    run cmd/redmux-bench against an embedded miniredis (DEMO_FLAGS='-addr host:port' for a real server)"
	@echo "make test    vet, unit, integration (real redis-server) and race stress tests, all with -race"
	@echo "make lint    gofmt check, go vet, staticcheck"
	@echo "make fuzz    fuzz the RESP reader for FUZZTIME (default $(FUZZTIME))"
	@echo "make bench   micro-benchmarks of resp/ and the client"

## test: everything a contributor must pass. Never skips the real-server tests.
test: redis-server
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

redis-server:
	@./scripts/ensure-redis-server.sh

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fuzz:
	$(GO) test ./resp/ -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME)

bench:
	$(GO) test ./resp/ -run '^$$' -bench . -benchmem

demo:
	$(GO) run ./cmd/redmux-bench $(DEMO_FLAGS)
