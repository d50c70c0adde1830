#!/usr/bin/env bash
# The main job, end to end: install the plugin, then `docker esb up` on
# examples/mini. Uses the Docker engine you have; on a machine without one
# (as root with apt) it provisions one first (test/e2e/engine/provision.sh).
# If the engine cannot pull busybox from Docker Hub (offline), the example's
# upstream base comes from the local registry instead.
# It leaves a working shell: everything runs with your own docker config, so
# docker-esb (and buildx/compose when the demo had to provide them) lands
# where your docker looks, ${DOCKER_CONFIG:-~/.docker}/cli-plugins, and the
# builder it creates is the one your docker knows.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
user_cfg="${DOCKER_CONFIG:-$HOME/.docker}" # where this shell's docker looks for plugins
engine_line=""
if ! docker info >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then
  echo "demo: no usable Docker engine with buildx and compose here; provisioning one"
  bash test/e2e/engine/provision.sh
  # provision.sh leaves buildx/compose in .tools/cli-plugins, seen only through its
  # own docker config (.tools/engine.env); put them where your docker looks, unless
  # it has them already, new enough.
  # shellcheck disable=SC1091
  . test/e2e/engine/versions.env
  vge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }
  mkdir -p "$user_cfg/cli-plugins"
  for p in buildx:"$BUILDX_MIN" compose:"$COMPOSE_MIN"; do
    name="${p%%:*}" min="${p#*:}"
    v="$(docker "$name" version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)" || true
    if [ -z "$v" ] || ! vge "$v" "$min"; then
      install -m 0755 ".tools/cli-plugins/docker-$name" "$user_cfg/cli-plugins/docker-$name"
      echo "demo: installed $user_cfg/cli-plugins/docker-$name (your docker had ${v:-none}; docker esb needs >= $min)"
    fi
  done
  # If your docker talks to another engine by default, reach the provisioned one.
  if ! docker info >/dev/null 2>&1; then
    # shellcheck disable=SC1091
    DOCKER_HOST="$(. .tools/engine.env && DOCKER_CONFIG="$DOCKER_CONFIG" docker context inspect --format '{{.Endpoints.docker.Host}}')"
    export DOCKER_HOST
    engine_line="export DOCKER_HOST=$DOCKER_HOST"
  fi
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
if [ -n "$engine_line" ]; then
  echo "demo: the engine it runs on is not your docker's default one; in your shell run: $engine_line"
fi
echo "demo: try: docker esb status -C $ex"
