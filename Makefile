# opal: an OP Stack rollup node. `make run` starts it, `make test` tests it.
GO        ?= go
BIN       := bin/opal
CONFIG    ?= opal.toml
RACE_PKGS := ./core/... ./plugins/... ./cmd/... ./internal/...

.PHONY: fuzz bench-sequencer run-node e2e build test test-sdk test-examples lint generate generate-check check-upstream run bench clean contracts

build:
	$(GO) build -o $(BIN) ./cmd/node

# Warm the build cache once, then the race-enabled tests of the node, the
# sdk on its own (upstream go-ethereum), the examples as outside modules,
# the upstream build check of the plugins, and the generated-code check.
test: lint
	$(GO) build ./...
	$(GO) test -race -timeout 20m $(RACE_PKGS)
	$(GO) test -p 1 -timeout 20m ./e2e/... ./devnet/...
	$(MAKE) test-sdk test-examples check-upstream generate-check

test-sdk:
	cd sdk && GOWORK=off $(GO) test -race ./...

test-examples:
	for d in examples/*/; do (cd $$d && GOWORK=off $(GO) test ./...) || exit 1; done

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'); exit 1; }
	$(GO) vet ./...
	cd sdk && GOWORK=off $(GO) vet ./...

generate:
	./scripts/generate-proto.sh

generate-check: generate
	@git diff --exit-code -- sdk/internal/pb || { echo "generated code is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- sdk/internal/pb)" || { echo "generated code is stale: run make generate and commit"; exit 1; }

# Recompile the devnet's Solidity contracts (needs node and npm; the output
# in devnet/contracts/build is committed, so only a contract change needs it).
contracts:
	./scripts/build-contracts.sh

check-upstream:
	./scripts/check-upstream.sh

# Every fuzz target, one after the other: make fuzz FUZZTIME=1m
fuzz:
	FUZZTIME=$(or $(FUZZTIME),30s) ./scripts/fuzz.sh

# A whole local OP chain: L1, op-geth, opal as sequencer, the batcher, and
# the safe head following from L1.
run: build
	./$(BIN) devnet

# The node alone, against the endpoints of a config file (opal.example.toml).
run-node: build
	@test -f $(CONFIG) || { echo "no $(CONFIG): copy opal.example.toml to opal.toml and set your endpoints"; exit 1; }
	./$(BIN) run --config $(CONFIG)

# Sequencing at 1 s blocks for OPAL_SEQ_BENCH (default 10m): opal's own share
# of each block's build time (everything but the engine's work) and missed slots.
bench-sequencer:
	OPAL_SEQ_BENCH=$${OPAL_SEQ_BENCH:-10m} $(GO) test -run '^$$' -bench SequencerOwnShare -benchtime 1x -timeout 30m ./e2e

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./sdk/... ./core/... ./plugins/...

clean:
	rm -rf bin .bin
