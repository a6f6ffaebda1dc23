#!/bin/sh
# soak.sh: the CI-sized soak (test/soak/soak.py, 60 s of load); `make soak`
# runs the long one.
cd "$(dirname "$0")/../.." || exit 1
SOAK_SECS=${SOAK_SECS:-60} exec /usr/bin/python3 test/soak/soak.py
