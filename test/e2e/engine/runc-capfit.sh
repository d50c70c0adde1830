#!/bin/sh
# runc wrapper for sandboxes that cannot grant every capability (e.g. no
# CAP_SYS_RESOURCE). Privileged containers -- the docker-container BuildKit
# driver runs one -- ask for ALL capabilities, and runc then fails with
# "unable to apply caps: operation not permitted". This wrapper removes,
# from the container's OCI spec, only the capabilities the host lacks, then
# runs the real runc. provision.sh installs it as dockerd's default runtime
# only on such hosts. @DROP@ and @RUNC@ are filled in by provision.sh.
# `create/run --bundle DIR` carry DIR/config.json (.process.capabilities);
# `exec --process FILE` carries FILE (.capabilities).
bundle=""
process=""
prev=""
for a in "$@"; do
  case "$prev" in --bundle|-b) bundle="$a" ;; --process|-p) process="$a" ;; esac
  case "$a" in --bundle=*) bundle="${a#--bundle=}" ;; --process=*) process="${a#--process=}" ;; esac
  prev="$a"
done
fit() { # file, jq path of the capabilities object
  jq -c --argjson drop '@DROP@' "if $2 then $2 |= with_entries(.value |= ((. // []) - \$drop)) else . end" "$1" > "$1.capfit" && mv "$1.capfit" "$1"
}
if [ -n "$bundle" ] && [ -f "$bundle/config.json" ]; then fit "$bundle/config.json" .process.capabilities; fi
if [ -n "$process" ] && [ -f "$process" ]; then fit "$process" .capabilities; fi
exec @RUNC@ "$@"
