#!/usr/bin/env bash
# Regenerates the Go code of the plugin contracts (sdk/proto → sdk/internal/pb)
# with the pinned generator versions. protoc comes from the system package
# (protobuf-compiler); its version does not change the generated Go code.
set -euo pipefail
cd "$(dirname "$0")/.."
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
bin="$PWD/.bin"
mkdir -p "$bin"
if ! command -v protoc >/dev/null; then
  echo "protoc not found: install it (Debian: apt-get install -y protobuf-compiler)" >&2
  exit 1
fi
[ -x "$bin/protoc-gen-go-$PROTOC_GEN_GO_VERSION" ] || {
  GOBIN="$bin" GOWORK=off go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
  mv "$bin/protoc-gen-go" "$bin/protoc-gen-go-$PROTOC_GEN_GO_VERSION"
}
[ -x "$bin/protoc-gen-go-grpc-$PROTOC_GEN_GO_GRPC_VERSION" ] || {
  GOBIN="$bin" GOWORK=off go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
  mv "$bin/protoc-gen-go-grpc" "$bin/protoc-gen-go-grpc-$PROTOC_GEN_GO_GRPC_VERSION"
}
rm -rf sdk/internal/pb
mkdir -p sdk/internal/pb
protos=$(cd sdk/proto && find opal -name '*.proto' | sort)
(cd sdk/proto && protoc -I . \
  --plugin=protoc-gen-go="$bin/protoc-gen-go-$PROTOC_GEN_GO_VERSION" \
  --plugin=protoc-gen-go-grpc="$bin/protoc-gen-go-grpc-$PROTOC_GEN_GO_GRPC_VERSION" \
  --go_out=../internal/pb --go_opt=module=github.com/opalnode/opal/sdk/internal/pb \
  --go-grpc_out=../internal/pb --go-grpc_opt=module=github.com/opalnode/opal/sdk/internal/pb \
  --go-grpc_opt=require_unimplemented_servers=false \
  $protos)
# Drop the protoc version line so that the output does not depend on the
# system protoc package.
find sdk/internal/pb -name '*.go' -exec sed -i '/^\/\/ \tprotoc  *v/d;/^\/\/ - protoc  *v/d' {} +
