#!/bin/sh
# containerd mode's runtime node (a stand-in for containerd): it is healthy
# once CONTAINER_REGISTRY (registry:5010, plain HTTP, the registry's alias on
# the stack network) answers, and, when FUNCTION_IMAGE is set, once it has
# pulled that image's manifest and blobs from it.
set -u
reg="${CONTAINER_REGISTRY:-registry:5010}"
until wget -q -Y off -O /dev/null "http://$reg/v2/"; do echo "runtime-node: waiting for registry $reg"; sleep 2; done
if [ -n "${FUNCTION_IMAGE:-}" ]; then
  until fetch-image "$reg" "$FUNCTION_IMAGE"; do sleep 2; done
fi
touch /tmp/ready
echo "runtime-node: ready (registry $reg)"
exec sleep 2147483647
