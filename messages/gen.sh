#!/usr/bin/env bash
# Regenerates locker.pb.go from locker.proto. Installs protoc (Debian's
# protobuf-compiler) and protoc-gen-go when they are missing.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v protoc >/dev/null; then
  apt-get update -qq && apt-get install -y -qq protobuf-compiler >/dev/null
fi
gobin="$(go env GOPATH)/bin"
if [ ! -x "$gobin/protoc-gen-go" ]; then
  go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
fi
PATH="$gobin:$PATH" protoc --go_out=. --go_opt=paths=source_relative locker.proto
