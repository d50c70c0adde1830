#!/usr/bin/env bash
# Provides a Docker engine for the end-to-end tests, on a machine that may
# reach no container registry (so every image it needs is made locally).
#
#   - an engine that already works (docker info answers, buildx >= BUILDX_MIN,
#     compose >= COMPOSE_MIN) is used as it is; nothing global is changed;
#   - otherwise, as root with apt: Debian's docker.io, dockerd started in the
#     background (log: $TOOLS/dockerd.log), buildx/compose from Debian's newer
#     suite (plugins.sh), and the images the tests need made locally:
#     the BuildKit image (buildkitd+buildctl built with Go at a pinned
#     version, plus runc), registry:2 (Debian's docker-registry) and busybox
#     (Debian's busybox-static), all with `docker import`;
#   - in both cases the Dockerfile frontend image ($FRONTEND_IMAGE, what
#     `# syntax=docker/dockerfile:1.7` names), built from the same BuildKit
#     module, if the engine lacks it (the tests serve it from a mirror).
# Idempotent: a second run only checks. Prints how long each step took.
# Writes $TOOLS/engine.env (DOCKER_CONFIG with the plugins, for the tests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
. "$here/versions.env"
TOOLS="${TOOLS:-$root/.tools}"
mkdir -p "$TOOLS"
TOOLS="$(cd "$TOOLS" && pwd)"
DOCKER="${DOCKER:-docker}"
step_t0=0
step() { step_name="$1"; step_t0=${EPOCHREALTIME/[.,]/}; echo "engine: $1 ..."; }
done_step() { local us=$(( ${EPOCHREALTIME/[.,]/} - step_t0 )); printf "engine: %s done (%d.%ds)\n" "$step_name" $((us/1000000)) $(( (us/100000)%10 )); }
fail() { echo "engine: step '$step_name' failed: $*" >&2; exit 1; }

# A docker config of our own whose plugin dirs include ours and the user's.
cfg="$TOOLS/docker-config"
mkdir -p "$cfg"
printf '{"cliPluginsExtraDirs": ["%s", "%s"]}\n' "$TOOLS/cli-plugins" "${HOME:-/root}/.docker/cli-plugins" > "$cfg/config.json"
export DOCKER_CONFIG="$cfg"

vge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }
plugin_ok() {
  local bx cp
  bx="$($DOCKER buildx version 2>/dev/null | grep -oE 'v?[0-9]+\.[0-9]+\.[0-9]+' | head -1 | tr -d v)" || return 1
  cp="$($DOCKER compose version --short 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)" || return 1
  [ -n "$bx" ] && [ -n "$cp" ] && vge "$bx" "$BUILDX_MIN" && vge "$cp" "$COMPOSE_MIN"
}

# what some tests drive besides docker: openssl makes the remote builder's
# and the shared registry's certificates, htpasswd (apache2-utils) the shared
# registry's password file, tmux is the terminal BuildKit's live display is checked on
step "test tools (openssl, htpasswd, tmux)"
tools_need=()
for t in openssl tmux; do command -v "$t" >/dev/null || tools_need+=("$t"); done
command -v htpasswd >/dev/null || tools_need+=(apache2-utils)
if [ ${#tools_need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq "${tools_need[@]}" >/dev/null; } || fail "apt-get install ${tools_need[*]}"
  else
    echo "engine: ${tools_need[*]} missing (not root with apt): the tests that need them say so and stop" >&2
  fi
fi
done_step

# Copies the BuildKit Go module at BUILDKIT_VERSION to the writable folder $1.
buildkit_src() {
  command -v go >/dev/null || fail "go not found; install Go to build from the BuildKit module"
  local src dst="$1"
  src="$(go mod download -json "github.com/moby/buildkit@$BUILDKIT_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || fail "go mod download github.com/moby/buildkit@$BUILDKIT_VERSION"
  rm -rf "$dst"; cp -r "$src" "$dst"; chmod -R u+w "$dst"
}

# The Dockerfile frontend as the official image has it: one static binary,
# its entrypoint, and the labels buildx reads (without the caps label it
# refuses named contexts). Needed on every engine that lacks it, also one we
# did not provision: the machine reaches no registry to pull it from.
frontend_image() {
  step "image $FRONTEND_IMAGE (Dockerfile frontend of BuildKit $BUILDKIT_VERSION built with Go)"
  if ! $DOCKER image inspect "$FRONTEND_IMAGE" >/dev/null 2>&1; then
    local bk="$TOOLS/buildkit-$BUILDKIT_VERSION" r
    if [ ! -x "$bk/bin/dockerfile-frontend" ]; then
      mkdir -p "$bk/bin"; buildkit_src "$bk/src-frontend"
      (cd "$bk/src-frontend" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$bk/bin/dockerfile-frontend" ./frontend/dockerfile/cmd/dockerfile-frontend) || fail "go build dockerfile-frontend ($BUILDKIT_VERSION)"
      rm -rf "$bk/src-frontend"
    fi
    r="$(mktemp -d)"; mkdir -p "$r/bin"; cp "$bk/bin/dockerfile-frontend" "$r/bin/"
    tar -C "$r" -c . | $DOCKER import -c 'ENTRYPOINT ["/bin/dockerfile-frontend"]' \
      -c 'LABEL moby.buildkit.frontend.network.none="true"' \
      -c 'LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring,moby.buildkit.frontend.contexts.zstd"' \
      - "$FRONTEND_IMAGE" >/dev/null || fail "docker import $FRONTEND_IMAGE"
    rm -rf "$r"
  fi
  done_step
}

step "check for a running engine"
ours() { [ -f "$TOOLS/dockerd.pid" ] && kill -0 "$(cat "$TOOLS/dockerd.pid")" 2>/dev/null; }
if $DOCKER info >/dev/null 2>&1 && plugin_ok && ! ours && [ -z "${ESB_FORCE_PROVISION:-}" ]; then
  done_step
  echo "engine: using the existing engine ($($DOCKER version --format '{{.Server.Version}}')), buildx and compose"
  # Only the BuildKit image may be missing on an existing engine that is offline; everything else is pulled normally.
  # The frontend image is made here too: the tests' mirror serves it, whatever engine runs them.
  frontend_image
  echo "DOCKER_CONFIG=$cfg" > "$TOOLS/engine.env"
  exit 0
fi
done_step

[ "$(id -u)" = 0 ] || { step_name="privileges"; fail "no usable engine and not root: run as root, or install Docker with buildx >= $BUILDX_MIN and compose >= $COMPOSE_MIN"; }
command -v apt-get >/dev/null || { step_name="apt"; fail "no usable engine and no apt-get: install Docker yourself"; }

step "install docker.io, docker-registry, busybox-static, runc (apt)"
need=()
for p in docker.io docker-registry busybox-static runc jq; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update"
  apt-get install -y -qq "${need[@]}" >/dev/null || fail "apt-get install ${need[*]}"
fi
done_step

step "start dockerd"
# Capabilities this host cannot grant (CapBnd lacks them): privileged containers must not ask for them.
all_caps='CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF CAP_CHECKPOINT_RESTORE'
bnd=$((0x$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)))
missing=(); i=0
for c in $all_caps; do [ $(( (bnd >> i) & 1 )) = 1 ] || missing+=("\"$c\""); i=$((i+1)); done
runtime_args=()
if [ ${#missing[@]} -gt 0 ]; then
  drop="[$(IFS=,; echo "${missing[*]}")]"
  # outside the work tree: the daemon outlives the clone that started it
  capfit=/usr/local/lib/docker-esb/runc-capfit
  mkdir -p "$(dirname "$capfit")"
  sed -e "s|@DROP@|$drop|" -e "s|@RUNC@|$(command -v runc)|" "$here/runc-capfit.sh" > "$capfit.tmp" && chmod +x "$capfit.tmp" && mv "$capfit.tmp" "$capfit"
  runtime_args=(--add-runtime "capfit=$capfit" --default-runtime capfit)
  echo "engine: this host cannot grant $drop; privileged containers run through $capfit"
  # A dockerd we started earlier without the wrapper is restarted (never someone else's).
  if $DOCKER info >/dev/null 2>&1 && [ "$($DOCKER info --format '{{.DefaultRuntime}}')" != capfit ] && [ -f "$TOOLS/dockerd.pid" ]; then
    kill "$(cat "$TOOLS/dockerd.pid")" 2>/dev/null || true
    for _ in $(seq 1 60); do $DOCKER info >/dev/null 2>&1 || break; sleep 0.5; done
  fi
fi
if ! $DOCKER info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || fail "dockerd not found after installing docker.io"
  nohup dockerd --storage-driver=overlay2 --pidfile "$TOOLS/dockerd.pid" "${runtime_args[@]}" >"$TOOLS/dockerd.log" 2>&1 &
  for _ in $(seq 1 120); do $DOCKER info >/dev/null 2>&1 && break; sleep 0.5; done
  $DOCKER info >/dev/null 2>&1 || fail "dockerd did not answer within 60s; see $TOOLS/dockerd.log: $(tail -3 "$TOOLS/dockerd.log")"
fi
done_step

step "buildx and compose plugins"
TOOLS="$TOOLS" bash "$here/plugins.sh" || fail "plugins.sh"
plugin_ok || fail "buildx >= $BUILDX_MIN and compose >= $COMPOSE_MIN not usable with DOCKER_CONFIG=$cfg"
done_step

# Copies a binary and the shared libraries ldd names into a rootfs.
add_bin() {
  local bin="$1" rootfs="$2" dest="${3:-/usr/bin}"
  mkdir -p "$rootfs$dest"; cp -L "$bin" "$rootfs$dest/"
  ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"
  done
}
add_busybox() {
  local rootfs="$1"
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root"
  cp /bin/busybox "$rootfs/bin/busybox"
  for a in $(/bin/busybox --list); do [ -e "$rootfs/bin/$a" ] || ln -s busybox "$rootfs/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
  chmod 1777 "$rootfs/tmp"
}
has_image() { $DOCKER image inspect "$1" >/dev/null 2>&1; }

step "image $BUSYBOX_IMAGE (busybox-static)"
if ! has_image "$BUSYBOX_IMAGE"; then
  r="$(mktemp -d)"; add_busybox "$r"
  tar -C "$r" -c . | $DOCKER import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$BUSYBOX_IMAGE" >/dev/null || fail "docker import busybox"
  rm -rf "$r"
fi
done_step

step "image $REGISTRY_IMAGE (Debian docker-registry)"
if ! has_image "$REGISTRY_IMAGE"; then
  r="$(mktemp -d)"; add_busybox "$r"
  add_bin /usr/bin/docker-registry "$r" /bin && mv "$r/bin/docker-registry" "$r/bin/registry"
  mkdir -p "$r/etc/docker/registry" "$r/var/lib/registry"
  cat > "$r/etc/docker/registry/config.yml" <<'YML'
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
YML
  tar -C "$r" -c . | $DOCKER import -c 'ENTRYPOINT ["/bin/registry","serve","/etc/docker/registry/config.yml"]' -c 'EXPOSE 5000' -c 'VOLUME /var/lib/registry' - "$REGISTRY_IMAGE" >/dev/null || fail "docker import registry"
  rm -rf "$r"
fi
done_step

step "image $BUILDKIT_IMAGE (BuildKit $BUILDKIT_VERSION built with Go)"
if ! has_image "$BUILDKIT_IMAGE"; then
  bk="$TOOLS/buildkit-$BUILDKIT_VERSION"
  if [ ! -x "$bk/bin/buildkitd" ] || [ ! -x "$bk/bin/buildctl" ]; then
    mkdir -p "$bk/bin"; buildkit_src "$bk/src"
    (cd "$bk/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -ldflags "-X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION" -o "$bk/bin/" ./cmd/buildkitd ./cmd/buildctl) || fail "go build buildkitd buildctl ($BUILDKIT_VERSION)"
    rm -rf "$bk/src"
  fi
  r="$(mktemp -d)"; add_busybox "$r"
  mkdir -p "$r/usr/bin" "$r/var/lib/buildkit" "$r/run" "$r/etc/buildkit"
  cp "$bk/bin/buildkitd" "$bk/bin/buildctl" "$r/usr/bin/"
  add_bin "$(command -v runc)" "$r" /usr/bin
  tar -C "$r" -c . | $DOCKER import -c 'ENTRYPOINT ["buildkitd"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'VOLUME /var/lib/buildkit' - "$BUILDKIT_IMAGE" >/dev/null || fail "docker import buildkit"
  rm -rf "$r"
fi
done_step

frontend_image

echo "DOCKER_CONFIG=$cfg" > "$TOOLS/engine.env"
echo "engine: ready (DOCKER_CONFIG=$cfg)"
