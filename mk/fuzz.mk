# Fuzzing: libFuzzer + ASan + UBSan on the real sources (test/fuzz/).
#   make fuzz           every target for FUZZ_SECS (60) each, one at a time
#   make fuzz-ci        every target ~FUZZ_CI_SECS (30) each, then replays
#                       test/regress/<target>/ (crash inputs kept forever)
#   make fuzz-replay    only the replay
#   make fuzz-build     only the binaries (build/fuzz/fuzz_<target>)
#   make fuzz-run FUZZ_TARGET=review-reference FUZZ_SECS=300   one target
# Targets: http, json, pem, and review-<policy> for policy.h and every
# policies/*.h (one binary per policy: the policy is compiled in).
# A crash leaves its input in build/fuzz/crashes/<target>/: copy it to
# test/regress/fuzz_<target>/ (fuzz_review/ is replayed by every policy).

FUZZ_B		:= build/fuzz
FUZZ_CC		:= clang
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
FUZZ_CFLAGS	:= -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer $(FUZZ_SAN) \
		   $(WARN) -Isrc -I. -Ibuild/inc -Itest/fuzz
FUZZ_SECS	?= 60
FUZZ_CI_SECS	?= 30
FUZZ_POLICIES	:= policy $(basename $(notdir $(wildcard policies/*.h)))
FUZZ_TARGETS	:= http json pem $(addprefix review-,$(FUZZ_POLICIES))
FUZZ_BINS	:= $(addprefix $(FUZZ_B)/fuzz_,$(FUZZ_TARGETS))
FUZZ_HDRS	:= $(wildcard test/fuzz/*.h) $(HDRS)
JSON_SRCS	:= $(wildcard src/json*.c)	# json.c and its json_*.c (src/json_int.h)

# BearSSL for the host compiler, instrumented (its PEM and X.509 decoders
# are what fuzz_pem exercises), from the same source as the musl build.
BEARSSL_HOST	:= build/bearssl-host/libbearssl.a
$(BEARSSL_HOST): $(BEARSSL_STAMP)
	rm -rf $(dir $@)
	$(MAKE) -s -C $(BEARSSL_SRC) lib CONF=Unix BUILD=$(abspath $(dir $@)) \
	    CC=clang CFLAGS='-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) -W -Wall' \
	    >/dev/null
	@echo "BearSSL built with clang + sanitizers: $@"

$(FUZZ_B)/fuzz_http: test/fuzz/fuzz_http.c src/http.c $(FUZZ_HDRS) | build/.testdeps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ test/fuzz/fuzz_http.c src/http.c

$(FUZZ_B)/fuzz_json: test/fuzz/fuzz_json.c $(JSON_SRCS) $(FUZZ_HDRS) $(JSMN_H) | build/.testdeps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ test/fuzz/fuzz_json.c $(JSON_SRCS)

# tls.c with what it calls: auth.c (client CAs), certinfo.c, log.c (and
# json.c, whose string writer the log uses).
FUZZ_PEM_SRCS	:= src/tls.c src/auth.c src/pemfile.c src/certinfo.c src/log.c $(JSON_SRCS)
$(FUZZ_B)/fuzz_pem: test/fuzz/fuzz_pem.c $(FUZZ_PEM_SRCS) $(FUZZ_HDRS) $(BEARSSL_HOST) | build/.testdeps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(BEARSSL_SRC)/inc -o $@ test/fuzz/fuzz_pem.c \
	    $(FUZZ_PEM_SRCS) $(BEARSSL_HOST) -pthread

# review-NAME: NAME is policy (policy.h) or policies/NAME.h.
fuzz_policy_file = $(abspath $(if $(filter policy,$(1)),policy.h,policies/$(1).h))
$(FUZZ_B)/fuzz_review-%: test/fuzz/fuzz_review.c $(LIB_SRCS) $(FUZZ_HDRS) $(JSMN_H) | build/.testdeps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DPOLICY_FILE='"$(call fuzz_policy_file,$*)"' \
	    -DPOLICY_NAME='"$*"' -DPOLICY_HASH='"fuzz"' -DTINYHOOK_VERSION='"fuzz"' \
	    -o $@ test/fuzz/fuzz_review.c $(LIB_SRCS)

# Seed corpora (captured requests, bench payloads, fixtures, certificates).
$(FUZZ_B)/seeds/.done: test/fuzz/seeds.sh $(wildcard test/fuzz/*.dict) | build/.testdeps
	sh test/fuzz/seeds.sh $(FUZZ_B)/seeds
	@touch $@

fuzz-build: $(FUZZ_BINS) $(FUZZ_B)/seeds/.done

fuzz-run: fuzz-build
	sh test/fuzz/run.sh run $(FUZZ_SECS) $(FUZZ_TARGET)

fuzz: fuzz-build
	sh test/fuzz/run.sh run $(FUZZ_SECS) $(FUZZ_TARGETS)

fuzz-replay: fuzz-build
	sh test/fuzz/run.sh replay 0 $(FUZZ_TARGETS)

fuzz-ci: fuzz-build
	sh test/fuzz/run.sh run $(FUZZ_CI_SECS) $(FUZZ_TARGETS)
	sh test/fuzz/run.sh replay 0 $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-ci fuzz-run fuzz-build fuzz-replay
