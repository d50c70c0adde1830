#!/bin/sh
# GET /cgi-bin/functions: the deployed functions.yml (runtime config), else the seed.
printf 'Content-Type: text/plain\r\n\r\n'
if [ -f /app/runtime-config/functions.yml ]; then cat /app/runtime-config/functions.yml
else cat /app/seed-config/functions.yml; fi
