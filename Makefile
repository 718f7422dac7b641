# dafscript build and test entry points. `make run` and `make test` work on a
# fresh Debian machine as root: they install what is missing first.

GO        ?= go
BIN       ?= bin/dafscript
SCRIPT    ?= @daf/default.star
# LIBTORCH=DIR builds against another libtorch (e.g. one with CUDA) instead
# of Debian's libtorch-dev.
LIBTORCH  ?=
APT_PKGS  := libtorch-dev libopenblas0-openmp chromium fonts-liberation

ifneq ($(LIBTORCH),)
export CGO_CXXFLAGS := -I$(LIBTORCH)/include -I$(LIBTORCH)/include/torch/csrc/api/include $(CGO_CXXFLAGS)
export CGO_LDFLAGS  := -L$(LIBTORCH)/lib -Wl,-rpath,$(LIBTORCH)/lib $(CGO_LDFLAGS)
endif
export CGO_ENABLED := 1

.PHONY: all deps build run test test-go test-nocgo test-star test-learning bench clean

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

build: deps
	$(GO) build -o $(BIN) ./cmd/dafscript

run: build
	./$(BIN) run $(SCRIPT)

test: deps test-go test-nocgo test-star test-learning

# Test artifacts (the report screenshot of the browser test) stay in
# build/test-artifacts for a look after the run.
test-go:
	$(GO) vet ./...
	DAF_ARTIFACTS=$(CURDIR)/build/test-artifacts $(GO) test -count=1 ./...

# Everything but the training backend must build without cgo.
test-nocgo:
	CGO_ENABLED=0 $(GO) build ./...
	CGO_ENABLED=0 $(GO) vet ./...

test-star: build
	./$(BIN) test scripts/

# The training run that shows a policy learns (several minutes).
test-learning:
	$(GO) test -count=1 -tags learning -run Learn -timeout 20m ./runtime/train/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
