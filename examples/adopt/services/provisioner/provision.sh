#!/bin/sh
# Lists the functions it would provision: the deployed runtime config, else the seed.
cfg=/app/runtime-config/functions.yml
[ -f "$cfg" ] || cfg=/app/seed-config/functions.yml
echo "provisioner: runtime=${AGENT_RUNTIME:-?} config=$cfg"
awk '/^functions:/ { f = 1; next } /^[^ #]/ { f = 0 } f && /^  [a-z0-9-]+:/ { sub(/^  /, ""); sub(/:.*/, ""); print "provision: " $0 }' "$cfg"
echo "provisioner: done"
