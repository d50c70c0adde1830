#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "gateway mode=$(cat /etc/gateway-mode) env=$(env | sed -n 's/^[A-Z0-9_]*_ENV=//p' | head -1) registry=${CONTAINER_REGISTRY:-?}"
