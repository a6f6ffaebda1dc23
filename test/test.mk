# Tests. `make test` installs what they need, builds, and runs them all;
# the last line it prints is "N passed, N failed".
#   make soak         5 minutes of mixed load with certificate swaps (SOAK_SECS=300)
#   make asan         the server under ASan+UBSan (build/asan-<policy>/tinyhook)
#
# Unit tests: test/unit/NAME_test.c, built with the host compiler under
# ASan+UBSan and linked with every src/*.c that does no I/O.
# Server behaviour: test/it/*.py (Debian's /usr/bin/python3) and
# test/it/*.sh, run against the real static binary over real TLS.
# Packaging checks: test/ship/ (image, certificates, arm64, manifests, README).
# Data the tests read: test/fixtures/ (README.md there says where from).
# Every tool a test calls is installed here (TEST_DEBS, test/lib/tools.sh),
# so the count is the same on every machine. `make mutate` (mk/mutate.mk)
# checks that the tests catch planted bugs; `make test` does not run it.

TEST_DEBS := clang python3-jsonpatch python3-yaml python3-cryptography curl openssl file skopeo umoci \
	     podman qemu-user-static wrk golang-go systemd libclang-rt-dev prometheus gnuplot-nox
TCC	:= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo gcc)
TB	:= build/test-$(PNAME)
SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TCFLAGS	:= -std=c11 -D_GNU_SOURCE -g -O1 $(SAN) $(WARN) -Isrc -I. -Ibuild/inc -Itest/unit
IO_SRCS	:= src/tls.c src/auth.c src/pemfile.c src/server.c src/pump.c
LIB_SRCS := $(filter-out $(IO_SRCS),$(wildcard src/*.c))
UNIT	:= $(patsubst test/unit/%.c,$(TB)/%,$(wildcard test/unit/*_test.c))

build/.testdeps: scripts/deps.sh test/lib/tools.sh test/test.mk
	@mkdir -p build
	sh scripts/deps.sh $(DEBS) $(TEST_DEBS)
	sh test/lib/tools.sh
	@touch $@

$(TB)/%_test: test/unit/%_test.c $(LIB_SRCS) $(HDRS) $(wildcard test/unit/*.h) $(JSMN_H) | build/.testdeps
	@mkdir -p $(dir $@)
	$(TCC) $(TCFLAGS) $(DEFS) -o $@ $< $(LIB_SRCS)

# hist_test.c tests the bench's histogram (bench/rate/hist.h), which HDRS does not list.
$(TB)/hist_test: bench/rate/hist.h

unit: $(UNIT)

# The server itself under ASan+UBSan (LeakSanitizer at exit), with BearSSL
# built by clang with the same sanitizers, for a short soak (test/it/asan.sh).
ASAN_B	:= build/asan-$(PNAME)
BEARSSL_ASAN := build/bearssl-asan/libbearssl.a
$(BEARSSL_ASAN): $(BEARSSL_STAMP)
	rm -rf $(dir $@)
	$(MAKE) -s -C $(BEARSSL_SRC) lib CONF=Unix BUILD=$(abspath $(dir $@)) \
	    CC=clang CFLAGS='-O1 -g $(SAN) -W -Wall' >/dev/null

$(ASAN_B)/tinyhook: $(SRCS) $(HDRS) $(JSMN_H) $(BEARSSL_ASAN) | build/.testdeps
	@mkdir -p $(dir $@)
	$(TCC) $(TCFLAGS) -I$(BEARSSL_SRC)/inc $(DEFS) -o $@ $(SRCS) $(BEARSSL_ASAN) -pthread

asan: $(ASAN_B)/tinyhook

# The long soak: 5 minutes of mixed load with certificate swaps, plus the
# slowloris, --max-conns and SIGTERM phases (test/soak/soak.py).
soak: build/.testdeps tinyhook
	SOAK_SECS=$${SOAK_SECS:-300} /usr/bin/python3 test/soak/soak.py

# A Go of 1.24 or newer, for the GODEBUG=fips140=on client of
# test/it/tls_ems.py (bookworm's golang-go is 1.19): unpacked under build/
# from the next Debian release, nothing installed. Without it that suite
# skips those cases with the reason kept in build/go-new.log.
GO_NEW	:= build/go-new/goroot/bin/go
$(GO_NEW): test/lib/go-new.sh | build/.testdeps
	sh test/lib/go-new.sh build/go-new >/dev/null 2>build/go-new.log || \
	    echo "tinyhook: no Go >= 1.24 for the FIPS test: $$(tail -n 1 build/go-new.log)"

test: build/.testdeps tinyhook unit $(GO_NEW)
	TINYHOOK=$(abspath tinyhook) sh test/run.sh $(UNIT)

.PHONY: test unit soak asan
