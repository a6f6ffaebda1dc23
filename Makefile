# tinyhook: one static binary. POLICY=policies/x.h selects a policy; each
# policy builds in its own directory (build/<name>/) so objects of different
# policies never mix. `make help` lists the targets:
#   make              build ./tinyhook (POLICY=policies/x.h; ARCH=arm64 or armv7 cross-builds)
#   make run          build, create dev certificates, serve on https://127.0.0.1:8443
#   make test         install what the tests need, build, run every test
#   make unit         only the unit tests (ASan+UBSan)
#   make clean        remove this policy's objects and binary (distclean: all of build/)

POLICY	?= policy.h
ifeq ($(wildcard $(POLICY)),)
$(error POLICY=$(POLICY): the policy file does not exist (shipped: policy.h $(wildcard policies/*.h)))
endif
PNAME	:= $(basename $(notdir $(POLICY)))
# ARCH=arm64 cross-builds ./tinyhook-arm64 with Debian's aarch64 gcc and
# musl-dev:arm64, ARCH=armv7 ./tinyhook-armv7 (32-bit ARM boards, hard float)
# with gcc-arm-linux-gnueabihf and musl-dev:armhf (multiarch); the default is
# the machine's own.
NATIVE	:= $(subst armv7l,armv7,$(shell uname -m))
ARCH	?= $(NATIVE)
override ARCH := $(subst arm64,aarch64,$(subst amd64,x86_64,$(subst armhf,armv7,$(subst armv7l,armv7,$(ARCH)))))
PHASH	:= $(shell sha256sum $(POLICY) 2>/dev/null | cut -c1-12)
# The version comes from git tags (v0.x.y; scripts/version.sh); a build
# outside git says VERSION=x.y.z on the command line.
ifneq ($(origin VERSION),command line)
VERSION	:= $(shell sh scripts/version.sh)
endif
# The policy is part of the identity: the image tag, the archive names and
# the Deployment's pod template all carry it, so a new policy rolls the pods.
IMAGE_TAG := $(VERSION)-$(PNAME)-$(PHASH)
ifeq ($(ARCH),$(NATIVE))
CC	:= musl-gcc
SUFFIX	:=
else ifeq ($(ARCH),aarch64)
CC	:= aarch64-linux-gnu-gcc -specs /usr/lib/aarch64-linux-musl/musl-gcc.specs
SUFFIX	:= -arm64
CROSS_DEBS := gcc-aarch64-linux-gnu musl-dev:arm64
else ifeq ($(ARCH),armv7)
CC	:= arm-linux-gnueabihf-gcc -specs /usr/lib/arm-linux-musleabihf/musl-gcc.specs
SUFFIX	:= -armv7
CROSS_DEBS := gcc-arm-linux-gnueabihf musl-dev:armhf
else
$(error ARCH=$(ARCH): only the native architecture, arm64 and armv7 are supported)
endif
# YAML=0 builds without libyaml: `tinyhook review` then reads JSON only.
YAML	?= 1
OUT	:= tinyhook$(SUFFIX)
B	:= build/$(PNAME)$(SUFFIX)$(if $(filter 0,$(YAML)),-noyaml)

# Third-party code comes from Debian at build time and lives under build/.
# mono-mcs and mono-runtime run BearSSL's T0 compiler on our patched sources.
DEBS	:= musl-tools libjsmn-dev dpkg-dev patch mono-mcs mono-runtime openssl curl \
	   file $(CROSS_DEBS)
BEARSSL_SRC ?= build/bearssl-src
BEARSSL_LIB := build/bearssl-musl$(SUFFIX)/libbearssl.a
# Our changes to BearSSL (README, "Extended Master Secret"). The stamp names
# the patches' hash, so a changed patch re-unpacks and rebuilds BearSSL.
BEARSSL_PATCHES := $(sort $(wildcard patches/bearssl-*.patch))
BEARSSL_STAMP := $(BEARSSL_SRC)/.tinyhook-patched-$(shell cat /dev/null \
	   $(BEARSSL_PATCHES) | sha256sum | cut -c1-12)
JSMN_H	:= build/inc/jsmn/jsmn.h
LIBYAML_SRC ?= build/libyaml-src
LIBYAML_B := build/libyaml-musl$(SUFFIX)
LIBYAML_LIB := $(LIBYAML_B)/libyaml.a
LIBYAML_OBJS := $(addprefix $(LIBYAML_B)/,api.o reader.o scanner.o parser.o)
ifeq ($(YAML),0)
YAML_LIB :=
YAML_DEFS :=
else
YAML_LIB := $(LIBYAML_LIB)
YAML_DEFS := -DTINYHOOK_YAML -DYAML_DECLARE_STATIC -I$(LIBYAML_SRC)/include
endif

WARN	:= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Werror=incompatible-pointer-types -Werror=int-conversion
OPT	?= -Os
STRIP	?= -s
# No .eh_frame: in plain C nothing unwinds (no C++, no -fexceptions, no
# backtrace(); musl's pthread_cancel cleanup does not unwind either), yet
# x86-64 gcc emits unwind tables by default: 33,112 bytes of the stripped
# binary (ours 17.5 KB, BearSSL 12.6 KB, libyaml 2.9 KB; musl's libc.a has
# none): 424,008 -> 391,240 bytes (policy.h). The code is unchanged: .text
# is the same byte for byte. Cost: gdb on a core of the stripped binary
# unwinds by prologue analysis; -g builds (the handshake driver) still get
# .debug_frame. Also in BEARSSL_CF and libyaml's rule.
NOUNWIND := -fno-asynchronous-unwind-tables -fno-unwind-tables
CFLAGS	= $(OPT) -std=c11 -D_GNU_SOURCE $(WARN) -Isrc -I. -Ibuild/inc \
	   -I$(BEARSSL_SRC)/inc -fno-plt -ffunction-sections -fdata-sections $(NOUNWIND)
DEFS	:= -DPOLICY_FILE='"$(abspath $(POLICY))"' -DPOLICY_NAME='"$(PNAME)"' \
	   -DPOLICY_HASH='"$(PHASH)"' -DTINYHOOK_VERSION='"$(VERSION)"'
# Only the main build links libyaml; unit, fuzz and ASan builds get yml.c's stub.
MAIN_DEFS := $(DEFS) $(YAML_DEFS)
LDFLAGS	:= -static $(STRIP) -Wl,--gc-sections -pthread

SRCS	:= webhook.c $(wildcard src/*.c)
OBJS	:= $(SRCS:%.c=$(B)/%.o)
HDRS	:= $(wildcard src/*.h) jsmn.h $(POLICY) $(wildcard policies/*.h) \
	   $(wildcard policies/conversions/*.h test/fixtures/convert/*.h)

# Size matters (a scratch image of a few hundred KB), so -Os everywhere but
# on the request path's parsers, where -O2 is measurably faster.
HOT	:= $(B)/src/json.o $(B)/src/json_walk.o $(B)/src/json_str.o $(B)/src/http.o $(B)/src/rules.o $(B)/src/rulekinds.o \
	   $(B)/src/imageref.o $(B)/src/review.o \
	   $(B)/src/patch.o $(B)/src/convert.o $(B)/src/convert_edit.o \
	   $(B)/src/convert_write.o
$(HOT): OPT := -O2

all: $(OUT)

# Installed by rename, so a running ./tinyhook (make run) never blocks a rebuild.
$(OUT): $(B)/tinyhook
	@cp $< $@.new && mv -f $@.new $@
	@echo "$@ ($(PNAME) policy $(PHASH)): $$(stat -c %s $@) bytes, $$(file -b $@ | cut -d, -f1-5)"

$(B)/tinyhook: $(OBJS) $(BEARSSL_LIB) $(YAML_LIB)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(BEARSSL_LIB) $(YAML_LIB)

$(B)/%.o: %.c $(HDRS) $(JSMN_H) $(BEARSSL_LIB) $(YAML_LIB) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MAIN_DEFS) -c -o $@ $<

build/.deps$(SUFFIX): scripts/deps.sh
	@mkdir -p build
	sh scripts/deps.sh $(DEBS)
	@touch $@

# Debian's header plus our patches, in order (jsmn-linear.patch: linear
# closing, depth limit; jsmn-strings.patch: string bytes eight at a time;
# jsmn-grammar.patch: strict mode checks the grammar between tokens;
# jsmn-local.patch: jsmn_parse_strict(), the parser state in locals and
# a jump from each token to its likeliest next byte, the string scan
# inline; see jsmn.h).
JSMN_PATCHES := patches/jsmn-linear.patch patches/jsmn-strings.patch \
		patches/jsmn-grammar.patch patches/jsmn-local.patch
$(JSMN_H): build/.deps$(SUFFIX) $(JSMN_PATCHES)
	@mkdir -p $(dir $@)
	cp /usr/include/jsmn.h $@.new && for p in $(JSMN_PATCHES); do \
	    patch -s $@.new $$p || exit 1; done && mv $@.new $@

$(BEARSSL_STAMP): $(BEARSSL_PATCHES) | build/.deps$(SUFFIX)
	sh scripts/bearssl-src.sh $(BEARSSL_SRC) $(BEARSSL_PATCHES)

# The flags of the third-party builds, one file each: rewritten only when
# they change, so a changed flag (here or on the command line) rebuilds
# BearSSL or libyaml, whose rules otherwise depend on their sources only.
BEARSSL_FLAGS := build/.bearssl-flags$(SUFFIX)
LIBYAML_FLAGS := build/.libyaml-flags$(SUFFIX)
$(BEARSSL_FLAGS): FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(BEARSSL_CF) O3 $(BEARSSL_O3) Os $(BEARSSL_OS)' | cmp -s - $@ || \
	    echo '$(CC) $(BEARSSL_CF) O3 $(BEARSSL_O3) Os $(BEARSSL_OS)' >$@
$(LIBYAML_FLAGS): FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(LIBYAML_CF)' | cmp -s - $@ || echo '$(CC) $(LIBYAML_CF)' >$@

# Debian's prebuilt libbearssl.a is glibc-only (__memcpy_chk): build it with musl.
# Each BearSSL build starts from an empty directory: the unpacked sources
# keep their 2018 dates, so old objects would look newer than them.
# The code a handshake spends its time in is compiled first with -O3,
# which unrolls its 32-bit-limb loops: the X25519 and P-256 field code and
# the constant-time copies, 9.3M -> 6.2M server instructions per handshake
# (bench/handshake.sh), ~11 KB of code. Only those three: -O3 on the rest of
# ec/ and int/i31_* (ECDSA mod n, the generic P-384/P-521 code) added 2.6 KB
# for nothing (X25519 handshake 6,222,772 with it, 6,222,820 without; a
# P-384 key's 29,290,315 and 29,291,822). The decoders that run only when the
# certificate, key or client CAs are (re)loaded are -Os (1,008 bytes less).
# The rest stays -O2: -O3 there adds 20 KB and saves nothing, and -Os on the
# handshake engine (ssl_hs_server, 1.7 KB) costs +51,000 instructions per
# handshake (+0.8%). BearSSL's make then keeps the objects built first,
# newer than their sources.
BEARSSL_CF := -fno-pic -ffunction-sections -fdata-sections $(NOUNWIND) -W -Wall
BEARSSL_O3 := ec/ec_c25519_m31.c ec/ec_p256_m31.c codec/ccopy.c
BEARSSL_OS := codec/pemdec.c x509/skey_decoder.c x509/x509_decoder.c
bearssl_objs = $$(cd $(BEARSSL_SRC)/src && ls $(1) | \
	   sed 's|.*/\(.*\)\.c$$|$(abspath $(dir $@))/obj/\1.o|')
$(BEARSSL_LIB): $(BEARSSL_STAMP) $(BEARSSL_FLAGS)
	rm -rf $(dir $@)
	mkdir -p $(dir $@)obj
	$(MAKE) -s -C $(BEARSSL_SRC) CONF=Unix BUILD=$(abspath $(dir $@)) \
	    CC='$(CC)' CFLAGS='-O3 $(BEARSSL_CF)' $(call bearssl_objs,$(BEARSSL_O3)) >/dev/null
	$(MAKE) -s -C $(BEARSSL_SRC) CONF=Unix BUILD=$(abspath $(dir $@)) \
	    CC='$(CC)' CFLAGS='-Os $(BEARSSL_CF)' $(call bearssl_objs,$(BEARSSL_OS)) >/dev/null
	$(MAKE) -s -C $(BEARSSL_SRC) lib CONF=Unix BUILD=$(abspath $(dir $@)) \
	    CC='$(CC)' CFLAGS='-O2 $(BEARSSL_CF)' >/dev/null
	@echo "BearSSL built with musl: $@"

# libyaml (Debian's source package) for the offline reviewer's YAML input:
# only the event parser (api, reader, scanner, parser), -Os, with musl.
$(LIBYAML_SRC)/src/parser.c: | build/.deps$(SUFFIX)
	sh scripts/libyaml-src.sh $(LIBYAML_SRC)

LIBYAML_CF := -Os -std=gnu99 -fno-pic -ffunction-sections -fdata-sections $(NOUNWIND) -w
$(LIBYAML_B)/%.o: $(LIBYAML_SRC)/src/parser.c $(LIBYAML_FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(LIBYAML_CF) \
	    -DYAML_DECLARE_STATIC -I$(LIBYAML_SRC)/include \
	    $$(sed -n 's/^set (YAML_VERSION_\([A-Z]*\) \([0-9]*\))/-DYAML_VERSION_\1=\2/p' \
	    $(LIBYAML_SRC)/CMakeLists.txt) -DYAML_VERSION_STRING='"libyaml"' \
	    -c -o $@ $(LIBYAML_SRC)/src/$*.c

$(LIBYAML_LIB): $(LIBYAML_OBJS)
	rm -f $@ && ar rcs $@ $(LIBYAML_OBJS)
	@echo "libyaml built with musl: $@"

# The objects that print the version are rebuilt when it changes (a new
# commit or tag), so --version, /metrics and the image tag always agree.
$(B)/version.txt: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@
$(B)/webhook.o $(B)/src/metrics.o: $(B)/version.txt
FORCE:

deps: build/.deps$(SUFFIX) $(JSMN_H) $(BEARSSL_LIB) $(YAML_LIB)

# Dev certificates for 127.0.0.1 (created once, kept under certs/dev/).
DEVCERTS := certs/dev/tls.crt
$(DEVCERTS): | build/.deps$(SUFFIX)
	sh certs/mkcerts.sh --out certs/dev --host 127.0.0.1 --host localhost

run: tinyhook $(DEVCERTS)
	@echo "Try: curl --cacert certs/dev/ca.crt -H 'Content-Type: application/json' --data @test/fixtures/apiserver-v1.36/validate.json https://127.0.0.1:8443/validate"
	./tinyhook --listen 127.0.0.1:8443 --cert-dir certs/dev

clean:
	rm -rf $(B) $(OUT)

distclean:
	rm -rf build dist tinyhook tinyhook-arm64 tinyhook-armv7

include test/test.mk
-include mk/*.mk

# The "#   make TARGET  what" lines (and their indented continuations) atop
# this file, test/test.mk and mk/*.mk.
help:
	@echo "tinyhook make targets (variables: POLICY=policies/x.h ARCH=arm64|armv7 SVC= NS= FORCE=1 ...):"
	@awk '/^#   make /{print "  " substr($$0, 5); c=1; next} c && /^#      /{print "  " substr($$0, 5); next} {c=0}' \
	    Makefile test/test.mk mk/*.mk

.PHONY: all $(OUT) deps run clean distclean help FORCE
