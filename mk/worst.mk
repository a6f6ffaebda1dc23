# Worst-case inputs (issue 13): does every parser and walker stay linear?
#   make bench-worst            every generator of bench/worst/gen.py at 64 KiB,
#                               512 KiB and 3 MiB under callgrind, next to the
#                               realistic 21 KB pod; table on stdout, TSV in
#                               $(WORST_OUT)/run.*/results.tsv (~40 min on a busy machine)
#   make bench-worst WORST_ONLY='json-deep-arrays head-bytewise'   some of them
#   make bench-worst WORST_SIZES='16384 65536'                     other sizes
#   make worst-drivers          only the drivers (build/worst/<policy>/worst)
# test/it/worst.py (make test) asserts the linearity at small sizes.

WORST_POLICIES	:= policies/crontab.h policies/pod-hardening.h policies/pss-restricted.h policy.h
WORST_NAMES	:= $(basename $(notdir $(WORST_POLICIES)))
WORST_DRIVERS	:= $(foreach p,$(WORST_NAMES),build/worst/$(p)/worst)
WORST_OUT	?= /tmp/worst
# The real sources (src/*.c but server.c, with tls.c for tls_check_pem),
# statically linked with musl and BearSSL as the shipped binary is; -O2
# everywhere (the shipped binary has -Os outside the request path).
WORST_SRCS	:= $(filter-out src/server.c,$(wildcard src/*.c))
WORST_CFLAGS	:= -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -Isrc -I. -Ibuild/inc \
		   -I$(BEARSSL_SRC)/inc

# Built in a sub-make per policy, so DEFS are exactly that policy's.
ifneq ($(filter $(POLICY),$(WORST_POLICIES)),)
build/worst/$(PNAME)/worst: bench/worst/worst.c bench/slurp.h $(WORST_SRCS) $(HDRS) \
    $(JSMN_H) $(BEARSSL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(WORST_CFLAGS) $(DEFS) -static -o $@ $< $(WORST_SRCS) $(BEARSSL_LIB) -pthread
endif

worst-drivers: $(JSMN_H) $(BEARSSL_LIB)
	@for p in $(WORST_POLICIES); do \
	    $(MAKE) -s POLICY=$$p build/worst/$$(basename $$p .h)/worst || exit 1; done

build/.worstdeps: scripts/deps.sh
	@mkdir -p build
	sh scripts/deps.sh valgrind
	@touch $@

bench-worst: worst-drivers build/.worstdeps
	SHARED=$(SHARED) WORST_OUT=$(WORST_OUT) $(if $(WORST_ONLY),WORST_ONLY='$(WORST_ONLY)') \
	    $(if $(WORST_SIZES),WORST_SIZES='$(WORST_SIZES)') /usr/bin/python3 bench/worst/run.py

.PHONY: bench-worst worst-drivers

# `make test` runs test/it/worst.py: it needs the drivers and valgrind.
test: worst-drivers build/.worstdeps
