#!/usr/bin/env bash
# The main job, end to end: install the plugin, then `docker esb up` on
# examples/mini. Uses the Docker engine you have; on a machine without one
# (as root with apt) it provisions one first (test/e2e/engine/provision.sh).
# If the engine cannot pull busybox from Docker Hub (offline), the example's
# upstream base comes from the local registry instead.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if ! docker info >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then
  echo "demo: no usable Docker engine with buildx and compose here; provisioning one"
  bash test/e2e/engine/provision.sh
  # shellcheck disable=SC1091
  . .tools/engine.env; export DOCKER_CONFIG
fi
make install
ex=examples/mini
port="${PORT_REGISTRY:-5010}"
if ! docker image inspect busybox:1.36 >/dev/null 2>&1 && ! docker pull -q busybox:1.36 >/dev/null 2>&1; then
  echo "demo: busybox:1.36 is not available; the builder will try Docker Hub"
else
  # Seed the local registry so the builder never needs Docker Hub: the same
  # registry `docker esb up` starts (its own compose project mini-infra).
  docker esb render -C "$ex"
  PORT_REGISTRY="$port" docker compose -p mini-infra -f "$ex/docker-compose.infra.yml" up -d --wait registry
  docker tag busybox:1.36 "127.0.0.1:$port/library/busybox:1.36"
  docker push -q "127.0.0.1:$port/library/busybox:1.36" >/dev/null
  export MINI_UPSTREAM_BASE="127.0.0.1:$port/library/busybox:1.36"
fi
docker esb build -C "$ex"
docker esb up -C "$ex" -- --wait
docker compose -p mini-default ps
echo
echo "demo: the stack runs. Gateway: $(docker compose -p mini-default port gateway 8080)"
echo "demo: stop it with: docker esb down -C $ex   (add --registry to stop the registry too)"
