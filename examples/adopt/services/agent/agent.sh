#!/bin/sh
# The agent stand-in. Serves /metrics on :9091 and reports ready at once.
# Optional probes (both off unless set):
#   AGENT_PROBE_REGISTRY  wait until http://<it>/v2/ answers
#   FUNCTION_IMAGE        then fetch that image (name:tag) from it, checking every blob
set -u
mkdir -p /app/metrics
echo "acme_agent_up{runtime=\"${AGENT_RUNTIME:-?}\",slug=\"$(cat /app/slug)\"} 1" > /app/metrics/metrics
httpd -p "${METRICS_PORT:-9091}" -h /app/metrics
reg="${AGENT_PROBE_REGISTRY:-}"
if [ -n "$reg" ]; then
  until wget -q -Y off -O /dev/null "http://$reg/v2/"; do echo "agent: waiting for registry $reg"; sleep 2; done
  echo "agent: registry $reg reachable"
  if [ -n "${FUNCTION_IMAGE:-}" ]; then
    until fetch-image "$reg" "$FUNCTION_IMAGE"; do sleep 2; done
  fi
fi
touch /tmp/ready
echo "agent: ready (runtime=${AGENT_RUNTIME:-?}, registry=${CONTAINER_REGISTRY:-?}, tag=${ESB_TAG:-?})"
exec sleep 2147483647
