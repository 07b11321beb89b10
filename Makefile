# exfild build. `make` builds build/exfild; `make test` runs every test;
# `make run` starts the agent with defaults. See README.md.

CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH      := x86

BUILD     := build
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wno-unused-parameter
CPPFLAGS  += -D_GNU_SOURCE -Ibpf -Iuser -I$(BUILD)
LIBS      := -lbpf -lelf -lz -ljansson -lmaxminddb -lconfig -lcrypto -lpthread
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BPF_SRC   := bpf/exfild.bpf.c
BPF_OBJ   := $(BUILD)/exfild.bpf.o
SKEL      := $(BUILD)/exfild.skel.h

USER_SRC  := $(filter-out user/main.c,$(wildcard user/*.c))
USER_OBJ  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(USER_SRC))
ASAN_OBJ  := $(patsubst user/%.c,$(BUILD)/asan/%.o,$(USER_SRC))
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TEST_PROG := $(BUILD)/tests/traffic $(BUILD)/tests/itest

.PHONY: all deps run test test-unit test-host test-qemu bench vmlinux clean check-root

all: $(BUILD)/exfild

# ---- dependencies -------------------------------------------------------
# Installing packages and loading eBPF need root: say so in one line.
ROOT_GOALS := deps run test test-host bench check-root
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
$(BPF_OBJ): $(BPF_SRC) bpf/exfild.h vmlinux.h | $(BUILD)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I. -Ibpf -Wall -Werror -c $< -o $@

$(BUILD)/calib.bpf.o: bpf/calib.bpf.c vmlinux.h | $(BUILD)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I. -Ibpf -Wall -Werror -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name exfild_bpf > $@

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

# ---- user side ------------------------------------------------------------
$(BUILD)/obj/%.o: user/%.c $(SKEL) $(wildcard user/*.h) bpf/exfild.h | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c $< -o $@

$(BUILD)/asan/%.o: user/%.c $(SKEL) $(wildcard user/*.h) bpf/exfild.h | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(WARN) -c $< -o $@

$(BUILD)/exfild: user/main.c $(USER_OBJ) $(SKEL)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) user/main.c $(USER_OBJ) $(LIBS) -o $@

# Same agent with AddressSanitizer/UBSan: the host integration tests run it.
$(BUILD)/asan/exfild: user/main.c $(ASAN_OBJ) $(SKEL)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(WARN) user/main.c $(ASAN_OBJ) $(LIBS) -o $@

# Static agent for the qemu initramfs (no shared libraries to carry).
$(BUILD)/static/exfild: user/main.c $(USER_SRC) $(SKEL)
	@mkdir -p $(dir $@)
	$(CC) -static $(CPPFLAGS) $(CFLAGS) $(WARN) user/main.c $(USER_SRC) $(LIBS) -lzstd -o $@ 2> $(BUILD)/static/link.log || { cat $(BUILD)/static/link.log; exit 1; }

$(BUILD):
	@mkdir -p $(BUILD)/obj $(BUILD)/asan $(BUILD)/tests

# ---- tests ------------------------------------------------------------------
$(BUILD)/tests/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) $(WARN) $< $(ASAN_OBJ) $(LIBS) -lcmocka -o $@

$(BUILD)/tests/traffic: tests/traffic.c | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -static $< -lpthread -o $@

$(BUILD)/tests/itest: $(wildcard tests/itest/*.c tests/itest/*.h) | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -static $(filter %.c,$^) -ljansson -lcrypto -o $@ 2> $(BUILD)/tests/itest-link.log || { cat $(BUILD)/tests/itest-link.log; exit 1; }

$(BUILD)/tests/bench_send: tests/bench_send.c | $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $< -lbpf -lelf -lz -lpthread -o $@

$(BUILD)/tests/bench_geo: tests/bench_geo.c user/geo.c user/json.c user/log.c user/geo.h | $(BUILD)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) tests/bench_geo.c user/geo.c user/json.c user/log.c -lmaxminddb -ljansson -o $@

test: deps all $(BUILD)/asan/exfild $(UNIT_BIN) $(TEST_PROG) $(BUILD)/static/exfild
	@tests/run-all.sh

test-host: deps all $(BUILD)/asan/exfild $(UNIT_BIN) $(TEST_PROG)
	@EXFILD_SKIP_QEMU=1 tests/run-all.sh

test-unit: $(UNIT_BIN)
	@tests/run-all.sh --unit-only

run: deps all
	@tools/run.sh

bench: deps all $(BUILD)/calib.bpf.o $(BUILD)/tests/bench_send $(BUILD)/tests/bench_geo
	@tools/bench.sh

clean:
	rm -rf $(BUILD)
