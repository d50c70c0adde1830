#!/usr/bin/env bash
# What `make test` needs besides node_modules, installed if missing:
#   - the buildx and compose CLI plugins (into .tools/cli-plugins, see engine/plugins.sh)
#   - Debian's docker-registry binary (a real registry for the contract tests)
#   - Go (gofmt, go vet check the rendered meta.go)
#   - actionlint (checks the CI recipe's workflow, examples/ci/), from the Go module proxy into .tools/bin
# As root with apt-get they are installed; otherwise it stops at once with one
# line naming what is missing and the command that installs it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
missing() { echo "tools: $1 is missing; install it with: $2" >&2; exit 1; }
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }

command -v docker >/dev/null || missing "the docker CLI" "apt-get install docker.io (or Docker's own packages)"
bash "$here/e2e/engine/plugins.sh" >/dev/null || missing "docker buildx/compose plugins" "bash test/e2e/engine/plugins.sh (as root with apt-get)"

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
{ command -v go >/dev/null || [ -x /usr/local/go/bin/go ]; } || need+=(golang-go)
if [ ${#need[@]} -gt 0 ]; then
  can_apt || missing "${need[*]}" "sudo apt-get install -y ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; } || missing "${need[*]}" "apt-get install -y ${need[*]} (it failed here)"
fi
ACTIONLINT_VERSION=v1.7.12
bin="$here/../.tools/bin"
if ! "$bin/actionlint" -version 2>/dev/null | grep -qx "${ACTIONLINT_VERSION}"; then
  go=$(command -v go || echo /usr/local/go/bin/go)
  GOBIN="$bin" "$go" install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}" ||
    missing "actionlint ${ACTIONLINT_VERSION}" "GOBIN=$bin go install github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
fi
echo "tools: buildx, compose, docker-registry, go and actionlint are there"
