# The multi-kernel test: one static proclife build, run with the same
# workload on Debian's 6.1 and 6.12 kernels under qemu and on the host kernel
# (tests/kernels/run.sh). Needs root; kernel packages are cached in
# $(KERNELS_OUT)/debs so reruns do not download again.

KERNELS_OUT := $(OUTPUT)/kernels
KERNELS_STATIC_OUT := $(KERNELS_OUT)/static

.PHONY: test-kernels

$(KERNELS_OUT)/workload: tests/kernels/workload.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static -O2 -pthread $(WARN) $< -o $@

# A build of its own, so the static binary never replaces $(OUTPUT)/proclife;
# SANITIZE is cleared because the sanitizer runtimes do not link statically.
test-kernels: $(KERNELS_OUT)/workload
	$(Q)$(MAKE) --no-print-directory STATIC=1 SANITIZE= OUTPUT=$(KERNELS_STATIC_OUT) \
		$(KERNELS_STATIC_OUT)/proclife
	$(Q)tests/kernels/run.sh $(KERNELS_STATIC_OUT)/proclife $(KERNELS_OUT)/workload $(KERNELS_OUT)
