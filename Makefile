# dafscript build and test entry points. `make run` and `make test` work on a
# fresh Debian machine as root: they install what is missing first.

GO        ?= go
BIN       ?= bin/dafscript
SCRIPT    ?= @daf/default.star
# LIBTORCH=DIR builds against another libtorch (e.g. one with CUDA) instead
# of Debian's libtorch-dev; TORCH_LDFLAGS adds libraries to link, such as
# "-Wl,--no-as-needed -ltorch_cuda" for a CUDA libtorch.
LIBTORCH  ?=
TORCH_LDFLAGS ?=
# libgloo-dev: the Gloo headers that libtorch's c10d needs for data-parallel
# training (dtdist.cpp, built with -DUSE_C10D_GLOO).
APT_PKGS  := libtorch-dev libgloo-dev libopenblas0-openmp chromium fonts-liberation

# The training backend: dt.cpp built as a shared library that the binary
# embeds and loads only when it trains or plays a neural policy, so that
# dafscript does not pay for loading libtorch at every start
# (runtime/train/torch/load.go). Anything that compiles the torch package
# depends on it, since go:embed takes whatever lib/ holds at that moment.
TORCH_DIR := runtime/train/torch
TORCH_LIB := $(TORCH_DIR)/lib/libdaftorch.so
TORCH_INC := -I/usr/include/torch/csrc/api/include
TORCH_LIBDIR :=
# Data-parallel training (dtdist.cpp) uses libtorch's ProcessGroupGloo, whose
# header needs Gloo's: Debian's libgloo-dev matches Debian's libtorch. Another
# libtorch must ship its own (DIR/include/gloo, from the same Gloo as its
# libraries), else the library is built without data-parallel training and
# says so when asked for it. dtdist.cpp calls Gloo's algorithms itself, so
# it links Gloo's library (Debian's libgloo0; another libtorch's lib/libgloo.so
# when it has one, else the Gloo that its libtorch_cpu carries).
GLOO_FLAGS := -DUSE_C10D_GLOO
GLOO_LIBS := -lgloo
ifneq ($(LIBTORCH),)
TORCH_INC := -I$(LIBTORCH)/include -I$(LIBTORCH)/include/torch/csrc/api/include $(TORCH_INC)
TORCH_LIBDIR := -L$(LIBTORCH)/lib -Wl,-rpath,$(LIBTORCH)/lib
GLOO_FLAGS := $(if $(wildcard $(LIBTORCH)/include/gloo/algorithm.h),-DUSE_C10D_GLOO,)
GLOO_LIBS := $(if $(GLOO_FLAGS),$(if $(wildcard $(LIBTORCH)/lib/libgloo.so),-lgloo,),)
endif
# -Bsymbolic: the library's calls to its own dt_* functions stay inside it,
# never reaching the same-named trampolines of the binary that loads it.
TORCH_CMD := $(CXX) -std=c++17 -O2 -shared -fPIC -Wl,-Bsymbolic -Wno-deprecated-declarations $(GLOO_FLAGS) $(TORCH_INC) \
             -o $(TORCH_LIB) $(TORCH_DIR)/dt.cpp $(TORCH_DIR)/dtdist.cpp $(TORCH_LIBDIR) \
             -Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 $(GLOO_LIBS) $(TORCH_LDFLAGS) -Wl,--as-needed
# Records the command, so that a change of LIBTORCH or TORCH_LDFLAGS
# rebuilds the library (a dot-file: go:embed leaves it out).
TORCH_STAMP := $(TORCH_DIR)/lib/.build-command

export CGO_ENABLED := 1

.PHONY: all deps build run test test-go test-nocgo test-star test-sweeps test-learning fuzz-short bench bench-learning clean torch-lib FORCE

all: build

# Install the system packages the build and the tests need, only when missing.
deps:
	@missing=""; for p in $(APT_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing packages:$$missing (run as root or: sudo apt-get install$$missing)"; exit 1; fi; \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$$missing; \
	fi

build: deps $(TORCH_LIB)
	$(GO) build -o $(BIN) ./cmd/dafscript

torch-lib: $(TORCH_LIB)

$(TORCH_LIB): $(TORCH_DIR)/dt.cpp $(TORCH_DIR)/dtdist.cpp $(TORCH_DIR)/dt.h $(TORCH_STAMP)
	$(TORCH_CMD)

$(TORCH_STAMP): FORCE
	@echo '$(TORCH_CMD)' | cmp -s - $@ || echo '$(TORCH_CMD)' > $@

FORCE:

run: build
	./$(BIN) run $(SCRIPT)

test: deps test-go test-nocgo test-star test-sweeps fuzz-short test-learning

# Test artifacts (the report screenshot of the browser test) stay in
# build/test-artifacts for a look after the run.
test-go: $(TORCH_LIB)
	$(GO) vet ./...
	DAF_ARTIFACTS=$(CURDIR)/build/test-artifacts $(GO) test -count=1 ./...

# Everything but the training backend must build without cgo.
test-nocgo:
	CGO_ENABLED=0 $(GO) build ./...
	CGO_ENABLED=0 $(GO) vet ./...

test-star: build
	./$(BIN) test scripts/

# Every decoder of user input, fuzzed for a few seconds each: json.decode
# through the host, map files, session manifests, checkpoint manifests,
# YAML configs, deployment packages. A count of inputs, not a time: a time
# limit that ends while a worker is busy fails the run with "context
# deadline exceeded" on a loaded machine. FUZZTIME=1m fuzzes longer.
FUZZTIME ?= 10000x
FUZZ_TARGETS := ./interp:FuzzJSONDecode ./interp:FuzzRun ./sim/maps:FuzzParse \
                ./runtime/output:FuzzManifest ./runtime/train/torch:FuzzCheckpointManifest \
                ./runtime/config:FuzzParse ./runtime/pkg:FuzzRead ./runtime/pkg:FuzzParseManifest
fuzz-short: $(TORCH_LIB)
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	done

# The example sweeps, end to end with a small budget (seconds): a scripted
# policy's thresholds, and a trained policy's learning rate and entropy.
test-sweeps: build
	./$(BIN) -q --no-cache --out build/test-sweeps --var trials=6 --var episodes=1 --episode-steps 200 scripts/sweep_baseline.star
	./$(BIN) -q --no-cache --out build/test-sweeps --var steps=8192 --var trials=2 --var episodes=1 --episode-steps 100 scripts/sweep_train.star

# The training run that shows a policy learns (several minutes).
test-learning: $(TORCH_LIB)
	$(GO) test -count=1 -tags learning -run Learn -timeout 20m ./runtime/train/...

# The learning benchmark (not part of `make test`; up to 30 minutes): from
# scratch on training_facility_1 (shaped reward), train in chunks of 1M agent-steps and
# evaluate 20 episodes after each, until the mean hearts per episode reaches
# 1.0; a training session under daf_output/training/ holds the curve
# (learning_curve.jsonl, training.json: `dafscript report` draws it).
# DAF_BENCH_MISSION, _POLICY, _CURRICULUM, _CHUNK, _MINUTES, _HP, _DEVICE
# change the setting (docs/training.md).
bench-learning: $(TORCH_LIB)
	DAF_BENCH_OUT=$(CURDIR)/daf_output $(GO) test -count=1 -tags benchlearning \
	  -run HeartsFromScratch -v -timeout 90m ./runtime/train/

bench: $(TORCH_LIB)
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin $(TORCH_LIB) $(TORCH_STAMP)
