#!/bin/sh
# Writes the root CA the bases need as the build secret root_ca:
# ${CERT_DIR:-./.acme/certs}/rootCA.crt (relative to the repo root, like the
# bake file and the compose files). A stand-in for the real repo's own cert
# setup task: the content is a fixed, PEM-shaped placeholder, not a usable
# certificate. Existing files are kept unless FORCE=1.
set -eu
cd "$(dirname "$0")/.."
dir="${CERT_DIR:-./.acme/certs}"
out="$dir/rootCA.crt"
if [ -f "$out" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "setup-certs: kept $out"
  exit 0
fi
mkdir -p "$dir"
cat > "$out" <<'PEM'
-----BEGIN CERTIFICATE-----
QUNNRSBEVU1NWSBST09UIENBIC0tIGZpeHR1cmUgb25seSwgbm90IGEgcmVhbCBjZXJ0
aWZpY2F0ZS4gV3JpdHRlbiBieSB0b29scy9zZXR1cC1jZXJ0cy5zaC4K
-----END CERTIFICATE-----
PEM
echo "setup-certs: wrote $out"
