#!/bin/sh
# fetch-image REGISTRY NAME:TAG -- fetches the image's manifest (resolving an
# index to its linux/amd64 entry) and every layer blob over the registry's
# HTTP API, checking each blob's sha256. A pull without a container runtime.
set -eu
reg="$1"; ref="$2"; name="${ref%%:*}"; tag="${ref#*:}"
accept="application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json"
dir=$(mktemp -d)
get() { wget -q -Y off -O "$2" --header "Accept: $accept" "http://$reg/v2/$name/$1"; }
get "manifests/$tag" "$dir/m.json" || { echo "fetch-image: no manifest for $name:$tag at $reg" >&2; exit 1; }
if grep -q '"manifests"' "$dir/m.json"; then
  d=$(tr -d '\n ' < "$dir/m.json" | grep -o '"digest":"sha256:[0-9a-f]*"' | head -1 | cut -d'"' -f4)
  get "manifests/$d" "$dir/m.json"
fi
n=0
for d in $(tr -d '\n ' < "$dir/m.json" | grep -o '"digest":"sha256:[0-9a-f]*"' | cut -d'"' -f4); do
  get "blobs/$d" "$dir/blob"
  [ "sha256:$(sha256sum "$dir/blob" | cut -d' ' -f1)" = "$d" ] || { echo "fetch-image: digest mismatch for $d" >&2; exit 1; }
  n=$((n+1))
done
rm -rf "$dir"
echo "fetch-image: pulled $name:$tag from $reg ($n blobs verified)"
