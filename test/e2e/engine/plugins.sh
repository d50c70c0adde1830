#!/usr/bin/env bash
# Puts docker-buildx and docker-compose into $TOOLS/cli-plugins (default
# .tools/cli-plugins in the repo), from Debian's newer suite, without touching
# the system's package state. Idempotent: does nothing when both are there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"
TOOLS="${TOOLS:-$root/.tools}"
dest="$TOOLS/cli-plugins"
if [ -x "$dest/docker-buildx" ] && [ -x "$dest/docker-compose" ]; then
  echo "plugins: already in $dest"; exit 0
fi
command -v apt-get >/dev/null || { echo "plugins: apt-get not found; install docker buildx >= $BUILDX_MIN and compose >= $COMPOSE_MIN yourself into $dest" >&2; exit 1; }
t0=$(date +%s)
state="$TOOLS/apt-$DEBIAN_PLUGIN_SUITE"
mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/sources" "$dest"
echo "deb http://deb.debian.org/debian $DEBIAN_PLUGIN_SUITE main" > "$state/sources/$DEBIAN_PLUGIN_SUITE.list"
apt_opts=(-o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$state/sources"
  -o Dir::State::Lists="$state/lists" -o Dir::Cache::Archives="$state/archives" -o Dir::State::status=/dev/null
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" update -qq || { echo "plugins: step 'apt-get update ($DEBIAN_PLUGIN_SUITE)' failed" >&2; exit 1; }
( cd "$state/archives" && apt-get "${apt_opts[@]}" download docker-buildx docker-compose ) \
  || { echo "plugins: step 'apt-get download docker-buildx docker-compose' failed" >&2; exit 1; }
for deb in "$state"/archives/docker-buildx_*.deb "$state"/archives/docker-compose_*.deb; do
  x="$state/x-$(basename "$deb" .deb)"; rm -rf "$x"; dpkg-deb -x "$deb" "$x"
  find "$x" -path '*cli-plugins/docker-*' -type f -exec cp {} "$dest/" \;
done
chmod +x "$dest"/docker-*
echo "plugins: $(ls "$dest" | tr '\n' ' ')in $dest ($(( $(date +%s) - t0 ))s)"
