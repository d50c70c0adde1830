#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
echo "gateway mode=$(cat /etc/gateway-mode) env=${ESB_ENV:-?} registry=${CONTAINER_REGISTRY:-?}"
