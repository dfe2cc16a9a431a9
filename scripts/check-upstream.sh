#!/usr/bin/env bash
# Builds sdk/, plugins/ and examples/ against upstream go-ethereum (no
# op-geth replace), so that plugin authors can use them with upstream.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOWORK=off
(cd sdk && go build ./... && go vet ./...)
for ex in examples/*/; do (cd "$ex" && go build ./...); done
# The plugins live in the root module, whose go.mod replaces go-ethereum by
# op-geth: build them with a copy of go.mod without that replace.
tmp=.upstream
rm -rf "$tmp.mod" "$tmp.sum"
grep -v 'replace github.com/ethereum/go-ethereum' go.mod > "$tmp.mod"
cp go.sum "$tmp.sum"
trap 'rm -f "$tmp.mod" "$tmp.sum"' EXIT
go mod tidy -modfile="$tmp.mod" >/dev/null 2>&1
# Test-only helper packages (named *test) may drive an in-process op-geth.
go build -modfile="$tmp.mod" $(go list -modfile="$tmp.mod" ./plugins/... | grep -v 'test$')
echo "sdk, examples and plugins build against upstream go-ethereum"
