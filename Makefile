# exfild build. `make` builds build/exfild; `make test` runs every test;
# `make run` starts the agent with defaults. See README.md.
#
# user/ is built folder by folder, each with only the include paths of the
# folders it may use (MOD_DEPS below): a stage that includes a header it
# must not see fails to compile. Arrows point down only:
#   cmd -> conf, source/*, enrich, detect, record, sink, ctl -> core

CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH      := x86

BUILD     := build
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wno-unused-parameter
CPPFLAGS  += -D_GNU_SOURCE
DEPFLAGS  = -MMD -MP
LIBS      := -lbpf -lelf -lz -ljansson -lmaxminddb -lconfig -lssl -lcrypto -lcap -lpthread -lm
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.DELETE_ON_ERROR:

BPF_SRC   := bpf/exfild.bpf.c
BPF_OBJ   := $(BUILD)/exfild.bpf.o
SKEL      := $(BUILD)/exfild.skel.h

# ---- module layering ------------------------------------------------------
MODS := core conf source/kernel source/replay enrich detect record sink ctl cmd
MOD_DEPS_core         :=
MOD_DEPS_conf         := core sink detect
MOD_DEPS_source/kernel := core
MOD_DEPS_source/replay := core
MOD_DEPS_enrich       := core
MOD_DEPS_detect       := core
MOD_DEPS_record       := core
MOD_DEPS_sink         := core record
MOD_DEPS_ctl          := core
MOD_DEPS_cmd          := $(filter-out cmd,$(MODS))
# Only the kernel source sees the contract header and the skeleton.
MOD_EXTRA_source/kernel := -Ibpf -I$(BUILD)

# The module of a source file user/a/b/x.c: "a/b" (or "a").
mod_of    = $(patsubst user/%/,%,$(dir $(1)))
mod_flags = $(foreach m,$(call mod_of,$(1)) $(MOD_DEPS_$(call mod_of,$(1))),-Iuser/$(m)) \
	    $(MOD_EXTRA_$(call mod_of,$(1)))

# Tables generated at build time from Debian data packages (tools/deps.sh
# installs them); each is compiled as part of the module named by its path.
ISO3166   := /usr/share/iso-codes/json/iso_3166-1.json
CLDR      := /usr/share/unicode/cldr/common
GEN_SRC   := $(BUILD)/gen/enrich/geo_names_table.c

USER_SRC  := $(foreach m,$(MODS),$(wildcard user/$(m)/*.c))
USER_OBJ  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(USER_SRC)) \
	     $(patsubst $(BUILD)/gen/%.c,$(BUILD)/obj/%.o,$(GEN_SRC))
ASAN_OBJ  := $(patsubst user/%.c,$(BUILD)/asan/%.o,$(USER_SRC)) \
	     $(patsubst $(BUILD)/gen/%.c,$(BUILD)/asan/%.o,$(GEN_SRC))
KERN_OBJ  := $(filter $(BUILD)/obj/source/kernel/%,$(USER_OBJ)) \
	     $(filter $(BUILD)/asan/source/kernel/%,$(ASAN_OBJ))
MAIN_OBJ  := $(BUILD)/obj/main.o
# Tests see every folder (they test modules from outside).
ALL_INC   := $(foreach m,$(MODS),-Iuser/$(m)) -Ibpf -I$(BUILD) -Itests/unit

UNIT_SRC  := $(shell find tests/unit -name 'test_*.c' | sort)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
TEST_PROG := $(BUILD)/tests/traffic $(BUILD)/tests/itest

# make install: where (DESTDIR is prepended to all of them).
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INSTALL_ENV = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SBINDIR="$(SBINDIR)" MANDIR="$(MANDIR)" \
	      SYSCONFDIR="$(SYSCONFDIR)" UNITDIR="$(UNITDIR)" BIN=$(BUILD)/exfild

# Fuzzing (clang's libFuzzer): the stages with parsers of outside input,
# built with the fuzzer's coverage and ASan/UBSan; one binary per harness.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_MODS  := core conf source/replay enrich detect record sink
# From the kernel source only its /proc/net/tcp parser (no skeleton needed).
FUZZ_OBJ   := $(patsubst user/%.c,$(BUILD)/fuzz/obj/%.o,$(foreach m,$(FUZZ_MODS),$(wildcard user/$(m)/*.c))) \
	      $(BUILD)/fuzz/obj/source/kernel/listeners.o \
	      $(patsubst $(BUILD)/gen/%.c,$(BUILD)/fuzz/obj/%.o,$(GEN_SRC))
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

.PHONY: all deps run test install uninstall fuzz fuzz-build test-unit test-host test-qemu bench soak eval vmlinux clean check-root mod-flags

all: $(BUILD)/exfild

# ---- dependencies -------------------------------------------------------
# Installing packages and loading eBPF need root: say so in one line.
ROOT_GOALS := deps run test test-host bench soak check-root
ifneq ($(filter $(ROOT_GOALS),$(MAKECMDGOALS)),)
ifneq ($(shell id -u),0)
$(error exfild: run this as root: sudo make $(MAKECMDGOALS))
endif
endif

deps:
	@tools/deps.sh

check-root:
	@true

# ---- kernel side ----------------------------------------------------------
$(BPF_OBJ): $(BPF_SRC) $(wildcard bpf/*.h) vmlinux.h | $(BUILD)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I. -Ibpf -Wall -Werror -c $< -o $@

$(BUILD)/calib.bpf.o: bpf/calib.bpf.c vmlinux.h | $(BUILD)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I. -Ibpf -Wall -Werror -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name exfild_bpf > $@

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

# ---- user side ------------------------------------------------------------
# Only the kernel source depends on the generated skeleton.
$(KERN_OBJ): $(SKEL)

$(BUILD)/obj/%.o: user/%.c | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call mod_flags,$<) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: user/%.c | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call mod_flags,$<) $(CFLAGS) $(SAN) $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/gen/enrich/geo_names_table.c: tools/gen-geonames.pl \
		$(wildcard $(ISO3166) $(CLDR)/supplemental/supplementalData.xml $(CLDR)/main/en.xml)
	@mkdir -p $(dir $@)
	perl tools/gen-geonames.pl --iso3166 $(ISO3166) --cldr $(CLDR) --out $@

$(BUILD)/obj/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call mod_flags,user/$*.c) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(call mod_flags,user/$*.c) $(CFLAGS) $(SAN) $(WARN) $(DEPFLAGS) -c $< -o $@

# main.c is the command table: it sees only cmd/.
$(BUILD)/obj/main.o: user/main.c | $(BUILD)
	$(CC) $(CPPFLAGS) -Iuser/cmd -Iuser/core $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/asan/main.o: user/main.c | $(BUILD)
	$(CC) $(CPPFLAGS) -Iuser/cmd -Iuser/core $(CFLAGS) $(SAN) $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/exfild: $(MAIN_OBJ) $(USER_OBJ)
	$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# Same agent with AddressSanitizer/UBSan: the host integration tests run it.
$(BUILD)/asan/exfild: $(BUILD)/asan/main.o $(ASAN_OBJ)
	$(CC) $(CFLAGS) $(SAN) $^ $(LIBS) -o $@

# Static agent for the qemu initramfs (no shared libraries to carry).
$(BUILD)/static/exfild: $(MAIN_OBJ) $(USER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -static $(CFLAGS) $^ $(LIBS) -lzstd -o $@ 2> $(BUILD)/static-link.log || { cat $(BUILD)/static-link.log; exit 1; }

$(BUILD):
	@mkdir -p $(BUILD)/obj $(BUILD)/asan $(BUILD)/tests

# The include flags a folder is built with (tests/layers.sh checks them).
mod-flags:
	@echo $(call mod_flags,user/$(MOD)/x.c)

# ---- tests ------------------------------------------------------------------
$(BUILD)/tests/unit/%: tests/unit/%.c $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_INC) $(CFLAGS) $(SAN) $(WARN) $(DEPFLAGS) -MT $@ -MF $@.d $< $(ASAN_OBJ) $(LIBS) -lcmocka -o $@

$(BUILD)/tests/traffic: tests/traffic.c | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -static $< -lpthread -o $@

$(BUILD)/tests/itest: $(wildcard tests/itest/*.c tests/itest/*.h tests/common/*.h) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -static $(filter %.c,$^) -ljansson -lcrypto -o $@ 2> $(BUILD)/tests/itest-link.log || { cat $(BUILD)/tests/itest-link.log; exit 1; }

$(BUILD)/tests/bench_send: tests/bench_send.c tests/bench/stats.h | $(BUILD)
	$(CC) $(CPPFLAGS) -Ibpf $(CFLAGS) $(WARN) $< -lbpf -lelf -lz -lpthread -o $@

$(BUILD)/tests/bench_pipeline: tests/bench/bench_pipeline.c $(USER_OBJ) | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_INC) $(CFLAGS) $(WARN) $< $(USER_OBJ) $(LIBS) -o $@

$(BUILD)/tests/bench_geo: tests/bench_geo.c $(USER_OBJ) | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_INC) $(CFLAGS) $(WARN) $< $(USER_OBJ) $(LIBS) -o $@

$(BUILD)/tests/bench_detect: tests/bench/bench_detect.c $(USER_OBJ) | $(BUILD)
	$(CC) $(CPPFLAGS) $(ALL_INC) $(CFLAGS) $(WARN) $< $(USER_OBJ) $(LIBS) -o $@

test: deps all $(BUILD)/asan/exfild $(UNIT_BIN) $(TEST_PROG) $(BUILD)/static/exfild $(FUZZ_BIN)
	@tests/run-all.sh

test-host: deps all $(BUILD)/asan/exfild $(UNIT_BIN) $(TEST_PROG) $(FUZZ_BIN)
	@EXFILD_SKIP_QEMU=1 tests/run-all.sh

test-unit: $(UNIT_BIN) $(FUZZ_BIN)
	@tests/run-all.sh --unit-only

run: deps all
	@tools/run.sh

bench: deps all $(BUILD)/calib.bpf.o $(BUILD)/tests/bench_send $(BUILD)/tests/bench_geo \
	$(BUILD)/tests/bench_pipeline $(BUILD)/tests/bench_detect
	@tools/bench.sh

# The agent under sustained load (SOAK_S seconds, default 600); not in make test.
soak: deps all $(BUILD)/tests/traffic
	@tools/soak.sh

# Detection quality on generated scenarios (not part of `make test`):
# precision, recall, false alerts per host-day and delay, beside naive
# baselines. EVAL_ARGS e.g. "--seeds 1,2,3,4 --days 8".
eval: all
	@python3 tools/eval.py --exfild $(BUILD)/exfild --out $(BUILD)/eval $(EVAL_ARGS)

$(BUILD)/fuzz/obj/%.o: user/%.c | $(BUILD)
	@mkdir -p $(dir $@)
	$(CLANG) $(CPPFLAGS) $(call mod_flags,$<) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/fuzz/obj/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CLANG) $(CPPFLAGS) $(call mod_flags,user/$*.c) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(WARN) $(DEPFLAGS) -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	$(CLANG) $(CPPFLAGS) $(ALL_INC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(WARN) $< $(FUZZ_OBJ) $(LIBS) -o $@

# The objects are kept (not removed as intermediates), so a second make is a no-op.
.SECONDARY: $(FUZZ_OBJ)

fuzz-build: $(FUZZ_BIN)

# Each harness for FUZZ_SECONDS from its seeds (tests/fuzz/corpus/NAME);
# make test runs them over their seeds only (tests/fuzz.sh --seeds).
fuzz: $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz.sh

# The binary, exfild(8), the systemd unit and a commented config (never over
# an existing one); uninstall removes exactly what install recorded.
install: all
	@$(INSTALL_ENV) tools/install.sh install

uninstall:
	@$(INSTALL_ENV) tools/install.sh uninstall

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
