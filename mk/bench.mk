# Benchmark against the reference peers of $(SHARED)/bench (see bench/README.md).
#   make bench            tinyhook (policies/reference.h) vs the Go and Flask peers, medians
#                         of RUNS runs per cell; table on stdout, results in /tmp/bench/results/
#   make bench SECS=3 RUNS=1 PAYLOADS=pod-small-create PEERS=go     a quick one
#   make bench RATES="500 2000 5000" RATE_PAYLOADS=pod-large-create   fixed-rate cells (bench/rate)
#   make bench-callgrind  instructions per 21 KB review vs jsmn alone (valgrind)
#   make bench-callgrind BENCH_POLICY=policies/pss-restricted.h   the same for another policy
#   make bench-callgrind-convert  instructions per ConversionReview of 100 (parse vs conversion)
#   make bench-handshake  server instructions per full TLS handshake, by component (valgrind)
# Knobs (BENCH_KNOBS, passed to bench/run.sh, documented at its top): SECS RUNS
# PAYLOADS CONCS NEWCONN_PAYLOADS NEWCONN_CONCS PEERS IDLE_CONNS ... OUTDIR.

SHARED		?= $(abspath ../shared)
BENCH_POLICY	?= policies/reference.h
BENCH_B		:= build/$(basename $(notdir $(BENCH_POLICY)))
BENCH_DEBS	:= wrk hey golang-go python3-flask gunicorn python3-jsonpatch openssl curl valgrind \
		   gnuplot-nox
BCC		?= cc
BCFLAGS		:= -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -Isrc -I. -Ibuild/inc
BENCH_DRIVERS	:= $(BENCH_B)/bench/callgrind_review $(BENCH_B)/bench/callgrind_jsmn \
		   $(BENCH_B)/bench/handshake
# The handshake driver links the server's own TLS code and BearSSL build
# (musl, the Makefile's CFLAGS and $(BEARSSL_LIB)): the code a connection runs.
HS_SRCS		:= src/tls.c src/auth.c src/pemfile.c src/certinfo.c src/log.c $(wildcard src/json*.c)
BENCH_KNOBS	:= SECS RUNS STARTS PAYLOADS CONCS NEWCONN_PAYLOADS NEWCONN_CONCS PEERS ADMISSION_PATH \
		   IDLE_CONNS IDLE_PAYLOAD BUSY_CONNS BUSY_SECS BUSY_PAYLOAD WARMUP MAX_REQS CALLGRIND CG_N \
		   PORT_BASE OUTDIR \
		   SERVER_CPUS LOAD_CPUS RATES RATE_PAYLOADS RATE_CONNS RATE_SECS RATE_WARMUP \
		   RATE_SERVER_CPU RATE_LOAD_CPU
BENCH_ENV	:= SHARED=$(SHARED) $(strip $(foreach v,$(BENCH_KNOBS),\
		   $(if $(filter-out undefined,$(origin $(v))),$(v)='$($(v))')))

# mk/bench.mk is a prerequisite: a package added to BENCH_DEBS gets installed.
build/.benchdeps: scripts/deps.sh mk/bench.mk
	@mkdir -p build
	sh scripts/deps.sh $(BENCH_DEBS)
	@touch $@

# The drivers are built in a sub-make with POLICY=$(BENCH_POLICY), so that
# DEFS and LIB_SRCS (test/test.mk) are exactly those of the reference build.
ifeq ($(POLICY),$(BENCH_POLICY))
$(BENCH_B)/bench/callgrind_%: bench/callgrind_%.c bench/slurp.h $(LIB_SRCS) $(HDRS) $(JSMN_H)
	@mkdir -p $(dir $@)
	$(BCC) $(BCFLAGS) $(DEFS) -o $@ $< $(if $(filter %_review,$@),$(LIB_SRCS))

$(BENCH_B)/bench/handshake: bench/handshake.c $(HS_SRCS) $(HDRS) $(JSMN_H) $(BEARSSL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -g -static -pthread -o $@ $< $(HS_SRCS) $(BEARSSL_LIB)
endif

# The fixed-rate load generator (bench/rate/rate.c): musl and BearSSL as tinyhook.
build/bench/rate: bench/rate/rate.c bench/rate/hist.h $(BEARSSL_LIB)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -I$(BEARSSL_SRC)/inc -static -o $@ $< $(BEARSSL_LIB)

bench-drivers: $(JSMN_H)
	@$(MAKE) -s POLICY=$(BENCH_POLICY) $(BENCH_DRIVERS)

bench-build: build/.benchdeps build/bench/rate
	@$(MAKE) -s POLICY=$(BENCH_POLICY) $(BENCH_B)/tinyhook $(BENCH_DRIVERS)

bench: bench-build
	$(BENCH_ENV) TINYHOOK_BIN=$(abspath $(BENCH_B)/tinyhook) bash bench/run.sh

bench-callgrind: bench-drivers
	@sh scripts/deps.sh valgrind
	SHARED=$(SHARED) bash bench/callgrind.sh $(BENCH_B)/bench $(CG_N)

bench-handshake: bench-drivers
	@sh scripts/deps.sh valgrind
	bash bench/handshake.sh $(BENCH_B)/bench/handshake $(HS_N)

bench-callgrind-convert: bench-drivers
	@sh scripts/deps.sh valgrind
	SHARED=$(SHARED) bash bench/callgrind_convert.sh $(BENCH_B)/bench $(or $(CG_N_CONVERT),100)

.PHONY: bench bench-build bench-drivers bench-callgrind bench-callgrind-convert bench-handshake

# `make test` runs test/it/bench_smoke.sh: it needs wrk and the drivers.
build/.benchsmokedeps: scripts/deps.sh
	@mkdir -p build
	sh scripts/deps.sh wrk
	@touch $@

test: build/.benchsmokedeps bench-drivers build/bench/rate
