# proclife: clang -target bpf -> bpftool gen skeleton -> user objects -> binary.
# Build products go under $(OUTPUT). Switches: STATIC=1 (a static binary that
# runs on any kernel image), SANITIZE=1 (ASan + UBSan), V=1 (show commands).

VERSION := 0.1.0
# The commit the binary is built from: `git describe` in a clone, "unknown" in a
# tarball; `make PROCLIFE_COMMIT=...` sets it (a source package does).
ifeq ($(origin PROCLIFE_COMMIT),undefined)
PROCLIFE_COMMIT := $(if $(wildcard .git),$(shell git describe --always --dirty 2>/dev/null))
endif
PROCLIFE_COMMIT := $(or $(PROCLIFE_COMMIT),unknown)
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
# user/ is grouped by stage, in the order events flow through it.
USER_DIRS := user/trace user/model user/output user/cmd
CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -Ibpf $(addprefix -I,$(USER_DIRS)) -I$(OBJDIR) \
	-DPROCLIFE_VERSION='"$(VERSION)"' -DPROCLIFE_COMMIT='"$(PROCLIFE_COMMIT)"'
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

USER_SRCS := $(wildcard $(addsuffix /*.c,$(USER_DIRS)))
# Debian's libmicrohttpd cannot link statically (GnuTLS needs p11-kit, shipped
# only as a shared library): a static build has no metrics server, and its
# command line refuses --metrics.
ifeq ($(STATIC),1)
USER_SRCS := $(filter-out user/output/metrics_server.c,$(USER_SRCS))
CFLAGS += -DPROCLIFE_NO_METRICS_SERVER
else
LDLIBS += -lmicrohttpd
endif
USER_HDRS := $(wildcard $(addsuffix /*.h,$(USER_DIRS)))
USER_OBJS := $(patsubst user/%.c,$(OBJDIR)/%.o,$(USER_SRCS))
# Only these need the BPF skeleton (so clang and bpftool); unit tests link the rest.
BPF_USER_OBJS := $(OBJDIR)/trace/tracer.o $(OBJDIR)/cmd/live.o $(OBJDIR)/cmd/main.o
PURE_OBJS := $(filter-out $(BPF_USER_OBJS),$(USER_OBJS))
LIB_OBJS := $(filter-out $(OBJDIR)/cmd/main.o,$(USER_OBJS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(TESTDIR)/unit/%,$(wildcard tests/unit/test_*.c))
INTEG_TESTS := $(patsubst tests/integration/%.c,$(TESTDIR)/integration/%,\
	$(wildcard tests/integration/test_*.c))
INTEG_PROGS := $(patsubst tests/integration/%.c,$(TESTDIR)/integration/%,\
	$(wildcard tests/integration/prog_*.c))
# Preloaded into proclife by tests, to stand in for what they cannot do to the host.
INTEG_SHIMS := $(patsubst tests/integration/%.c,$(TESTDIR)/integration/%.so,\
	$(wildcard tests/integration/shim_*.c))

.PHONY: all test test-quick tests unit-tests vmlinux clean
all: $(OUTPUT)/proclife

$(OBJDIR) $(TESTDIR)/unit $(TESTDIR)/integration:
	$(Q)mkdir -p $@

$(BPF_OBJ): bpf/proclife.bpf.c bpf/proclife.h $(VMLINUX) | $(OBJDIR)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name proclife_bpf > $@.tmp && mv $@.tmp $@

$(OBJDIR)/%.o: user/%.c $(USER_HDRS) bpf/proclife.h | $(OBJDIR)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BPF_USER_OBJS): $(SKEL)

# Objects that print PROCLIFE_COMMIT are rebuilt when it changes; the stamp is
# rewritten only then, so a commit relinks but does not recompile everything.
COMMIT_STAMP := $(OBJDIR)/commit
COMMIT_OBJS := $(OBJDIR)/cmd/cli.o $(OBJDIR)/output/metrics.o
$(shell mkdir -p $(OBJDIR) && echo '$(PROCLIFE_COMMIT)' | cmp -s - $(COMMIT_STAMP) || \
	echo '$(PROCLIFE_COMMIT)' > $(COMMIT_STAMP))
$(COMMIT_OBJS): $(COMMIT_STAMP)

$(OUTPUT)/proclife: $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(TESTDIR)/unit/test_%: tests/unit/test_%.c $(PURE_OBJS) | $(TESTDIR)/unit
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests $(LDFLAGS) $< $(PURE_OBJS) $(LDLIBS) -lcmocka -o $@

$(TESTDIR)/integration/test_%: tests/integration/test_%.c tests/integration/harness.c \
		tests/integration/harness.h tests/integration/checks.h $(LIB_OBJS) \
		| $(TESTDIR)/integration
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/integration $(LDFLAGS) $< tests/integration/harness.c \
		$(LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(TESTDIR)/integration/prog_%: tests/integration/prog_%.c | $(TESTDIR)/integration
	$(call msg,PROG,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< -lpthread -o $@

$(TESTDIR)/integration/shim_%.so: tests/integration/shim_%.c | $(TESTDIR)/integration
	$(call msg,SHIM,$@)
	$(Q)$(CC) $(filter-out -fsanitize=%,$(CFLAGS)) -fPIC -shared $< -ldl -o $@

tests: $(OUTPUT)/proclife $(UNIT_TESTS) $(INTEG_TESTS) $(INTEG_PROGS) $(INTEG_SHIMS)

# The unit tests alone: they need neither clang nor bpftool.
unit-tests: $(UNIT_TESTS)

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
include packaging/packaging.mk
