# Fuzzing the code that reads untrusted bytes (ring-buffer records, strings
# from processes), included from the top Makefile. `make fuzz` builds each
# tests/fuzz/fuzz_*.c with libFuzzer, ASan and UBSan under $(OUTPUT)/fuzz and
# runs it for FUZZ_SECONDS from the seeds in tests/fuzz/corpus/<target>; any
# crash, leak or sanitizer report fails. New inputs go to
# $(OUTPUT)/fuzz/corpus/<target>, crashing ones to $(OUTPUT)/fuzz/artifacts.
# `make fuzz-corpus` regenerates the seeds (tests/fuzz/mkcorpus.c).

FUZZ_SECONDS ?= 20
FUZZ_DIR := $(OUTPUT)/fuzz
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE $(WARN) -Ibpf $(addprefix -I,$(USER_DIRS)) -fno-omit-frame-pointer \
	-DPROCLIFE_VERSION='"$(VERSION)"' -DPROCLIFE_COMMIT='"$(PROCLIFE_COMMIT)"' \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# Everything but the parts that need libbpf and the kernel, and the HTTP server.
FUZZ_SRCS := $(filter-out user/cmd/% user/trace/tracer.c user/output/metrics_server%,$(USER_SRCS))
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
# The longest input worth trying: a whole exec record for decode.
FUZZ_MAX_LEN_decode := 17408
FUZZ_MAX_LEN_json := 8192
FUZZ_MAX_LEN_replay := 65536

.PHONY: fuzz fuzz-corpus

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) $(USER_HDRS) bpf/proclife.h
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_SRCS) -ljansson -o $@

fuzz: $(FUZZ_BINS) $(addprefix fuzz-run-,$(FUZZ_TARGETS))

# Not .PHONY: make looks up no pattern rule for a phony target.
fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	$(call msg,FUZZ,$* for $(FUZZ_SECONDS) s)
	$(Q)mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/artifacts
	$(Q)$< -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN_$*) -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/artifacts/$*- $(FUZZ_DIR)/corpus/$* tests/fuzz/corpus/$*

$(FUZZ_DIR)/mkcorpus: tests/fuzz/mkcorpus.c bpf/proclife.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -g -O2 -std=gnu11 $(WARN) -Ibpf $< -o $@

fuzz-corpus: $(FUZZ_DIR)/mkcorpus
	$(Q)rm -rf tests/fuzz/corpus/decode tests/fuzz/corpus/json
	$(Q)mkdir -p tests/fuzz/corpus
	$(Q)$(FUZZ_DIR)/mkcorpus tests/fuzz/corpus
