# `make bench`: proclife side by side with the tools people would otherwise run
# (bench/README.md). Included by the top Makefile. BENCH_LONG=1 for the long
# run (more rounds, bigger storms, 1M processes churned); BENCH_ARGS passes
# anything else to bench/run.

BENCH_OUT := $(OUTPUT)/bench
BENCH_CFLAGS := -g -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE

$(BENCH_OUT):
	$(Q)mkdir -p $@

$(BENCH_OUT)/loadgen: bench/loadgen.c | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_CFLAGS) $< -lpthread -o $@

# Static, so an exec costs the kernel's work and nothing of the dynamic loader's.
$(BENCH_OUT)/lg-true: bench/lg-true.c | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_CFLAGS) -static $< -o $@

# Decodes and prints recorded records: the consumer's cost without the kernel's.
$(BENCH_OUT)/consumer: bench/consumer.c $(PURE_OBJS) $(USER_HDRS) bpf/proclife.h | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< $(PURE_OBJS) $(LDLIBS) -o $@

# The floor under proclife's in-kernel cost: one BPF program per primitive,
# built as proclife's object and skeleton are; nothing of it is in proclife.
$(BENCH_OUT)/floor.bpf.o: bench/floor.bpf.c bpf/proclife.h $(VMLINUX) | $(BENCH_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_OUT)/floor.skel.h: $(BENCH_OUT)/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@.tmp && mv $@.tmp $@

$(BENCH_OUT)/floor: bench/floor.c $(BENCH_OUT)/floor.skel.h bpf/proclife.h | $(BENCH_OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(BENCH_CFLAGS) -Ibpf -I$(BENCH_OUT) $< -lbpf -lelf -lz -o $@

.PHONY: bench
bench: $(OUTPUT)/proclife $(BENCH_OUT)/loadgen $(BENCH_OUT)/lg-true $(BENCH_OUT)/consumer \
		$(BENCH_OUT)/floor
	$(Q)command -v python3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y python3
	bench/run --proclife $(OUTPUT)/proclife --bindir $(BENCH_OUT) \
		$(if $(filter 1,$(BENCH_LONG)),--long) $(BENCH_ARGS)
