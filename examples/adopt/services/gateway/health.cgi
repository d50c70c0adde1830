#!/bin/sh
# GET /cgi-bin/health: mode, env and registry; says whether credentials are set, never their values.
printf 'Content-Type: text/plain\r\n\r\n'
echo "gateway mode=$(cat /etc/acme/gateway-mode) env=${ENV:-?} project=${PROJECT_NAME:-?} registry=${CONTAINER_REGISTRY:-?}"
echo "auth_user=$([ -n "${AUTH_USER:-}" ] && echo set || echo unset) api_key=$([ -n "${X_API_KEY:-}" ] && echo set || echo unset)"
