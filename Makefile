# proclife: clang -target bpf -> bpftool gen skeleton -> user objects -> binary.
# Build products go under $(OUTPUT). Switches: STATIC=1 (a static binary that
# runs on any kernel image), SANITIZE=1 (ASan + UBSan), V=1 (show commands).

VERSION := 0.1.0
OUTPUT ?= build
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VMLINUX := vmlinux/vmlinux.h

OBJDIR := $(OUTPUT)/obj
TESTDIR := $(OUTPUT)/tests
BPF_OBJ := $(OBJDIR)/proclife.bpf.o
SKEL := $(OBJDIR)/proclife.skel.h

WARN := -Wall -Wextra -Werror
CFLAGS ?= -g -O2
CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -Ibpf -Iuser -I$(OBJDIR) -DPROCLIFE_VERSION='"$(VERSION)"'
LDLIBS := -lbpf -lelf -lz -ljansson -lm
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-function \
	-Wno-unused-parameter \
	-Ivmlinux -Ibpf

ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(STATIC),1)
LDFLAGS += -static
endif

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OBJDIR)/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(OBJDIR)/main.o,$(USER_OBJS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(TESTDIR)/unit/%,$(wildcard tests/unit/test_*.c))
INTEG_TESTS := $(patsubst tests/integration/%.c,$(TESTDIR)/integration/%,\
	$(wildcard tests/integration/test_*.c))
INTEG_PROGS := $(patsubst tests/integration/%.c,$(TESTDIR)/integration/%,\
	$(wildcard tests/integration/prog_*.c))

.PHONY: all test test-quick tests vmlinux clean
all: $(OUTPUT)/proclife

$(OBJDIR) $(TESTDIR)/unit $(TESTDIR)/integration:
	$(Q)mkdir -p $@

$(BPF_OBJ): bpf/proclife.bpf.c bpf/proclife.h $(VMLINUX) | $(OBJDIR)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name proclife_bpf > $@.tmp && mv $@.tmp $@

$(OBJDIR)/%.o: user/%.c $(wildcard user/*.h) bpf/proclife.h $(SKEL) | $(OBJDIR)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/proclife: $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(TESTDIR)/unit/test_%: tests/unit/test_%.c $(LIB_OBJS) | $(TESTDIR)/unit
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests $(LDFLAGS) $< $(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(TESTDIR)/integration/test_%: tests/integration/test_%.c tests/integration/harness.c \
		tests/integration/harness.h tests/integration/checks.h $(LIB_OBJS) \
		| $(TESTDIR)/integration
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/integration $(LDFLAGS) $< tests/integration/harness.c \
		$(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(TESTDIR)/integration/prog_%: tests/integration/prog_%.c | $(TESTDIR)/integration
	$(call msg,PROG,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< -lpthread -o $@

tests: $(OUTPUT)/proclife $(UNIT_TESTS) $(INTEG_TESTS) $(INTEG_PROGS)

# Every test, three ways: as built, built with ASan and UBSan, and the unit
# tests under valgrind. One summary line at the end.
test: tests
	$(Q)$(MAKE) -s OUTPUT=$(OUTPUT)/asan SANITIZE=1 tests
	$(Q)tests/run --valgrind $(OUTPUT) $(OUTPUT)/asan

# Just the plain build's tests.
test-quick: tests
	$(Q)tests/run $(OUTPUT)

# Regenerates the checked-in vmlinux.h from the running kernel's BTF.
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX).tmp
	mv $(VMLINUX).tmp $(VMLINUX)

clean:
	rm -rf $(OUTPUT)

-include tests/kernels/kernels.mk
include tests/fuzz/fuzz.mk
include bench/bench.mk
