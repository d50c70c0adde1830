#!/bin/sh
# healthcheck URL -- exits 0 when URL answers (no proxy: loopback only).
exec wget -q -Y off -O /dev/null "$1"
