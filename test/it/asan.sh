#!/bin/sh
# asan.sh: the real server built with ASan+UBSan (and LeakSanitizer at
# exit) runs a short soak: slowloris, --max-conns, mixed load with
# certificate swaps, SIGTERM under load. Any sanitizer report makes the
# server exit non-zero, which the soak's exit checks catch. ASan's redzones
# and quarantine about double the memory a held connection costs (41 KiB
# measured against 19 KiB), hence the wider SLOW_CONN_KIB bound.
cd "$(dirname "$0")/../.." || exit 1
make -s POLICY=policies/reference.h build/asan-reference/tinyhook >/dev/null || {
	echo "asan: 0 passed, 1 failed"; exit 1; }
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=23 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
TINYHOOK_REF=build/asan-reference/tinyhook SOAK_SECS=${ASAN_SOAK_SECS:-10} \
SLOW_CONNS=300 SLOW_CONN_KIB=128 WRK_CONNS=16 exec /usr/bin/python3 test/soak/soak.py
