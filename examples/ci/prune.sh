#!/bin/sh
# The scheduled prune of docs/ci.md as a plain script (the e2e runs it): what
# it would delete, then the deletion, in the build registry ([registry]
# build_address or <PREFIX>_BUILD_REGISTRY). Run from the project root.
#   sh examples/ci/prune.sh
set -eu
docker esb prune --shared --dry-run | sed -n '/^1\. /,$p'
docker esb prune --shared
