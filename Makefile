# Portcullis — build, test and run. Every target installs what it needs when it is missing.
SHELL := /bin/bash
SWIFT ?= swift
SWIFT_FLAGS ?= -Xswiftc -warnings-as-errors
# Exclusivity checks cost ~2-3% of CPU on the request path (profiled); release builds drop them.
# The Swift runtime and Foundation are linked statically (docs/decisions/0008-static-swift-runtime.md):
# 5 MB less resident memory, direct calls into the runtime, and a binary that runs without a Swift
# toolchain; OpenSSL stays the system's shared library.
# Whole-program optimization (docs/decisions/0014-whole-program-optimization.md): cross-module
# optimization lets the compiler specialize and inline NIO's generic code into ours, and full LTO
# links everything as one LLVM module: ~13 % fewer instructions per request (callgrind).
WHOLE_PROGRAM_FLAGS ?= -Xswiftc -cross-module-optimization --experimental-lto-mode=full
RELEASE_FLAGS ?= -c release $(SWIFT_FLAGS) -Xswiftc -enforce-exclusivity=unchecked --static-swift-stdlib \
	$(WHOLE_PROGRAM_FLAGS)
# redis-server (with redis-cli): the shared rate limits' tests start their own on free ports
# (RUNLEVEL=1: the package's own service is not started). zlib, brotli and zstd: the response
# compression's libraries (decision 0026); the zstd and brotli tools decode in its tests.
APT_PACKAGES ?= libssl-dev pkg-config curl openssl ca-certificates python3 python3-pip nghttp2-client chromium \
	redis-server pebble python3-cryptography zlib1g-dev libbrotli-dev libzstd-dev zstd brotli
# `portcullis trust` and its tests add the dev CA to NSS databases (Chromium, Firefox) with certutil.
APT_PACKAGES += libnss3-tools
# DNS service discovery (decision 0032): the tests run their own dnsmasq (dnsmasq-base: the program
# without the system service) on free loopback ports. The failover test (make test-failover) runs
# keepalived in network namespaces it creates (ip from iproute2); RUNLEVEL=1 keeps the package's
# service from starting.
APT_PACKAGES += dnsmasq-base keepalived iproute2
# The fleet tests (issue 21): a single-member etcd cluster and etcdctl as an independent client.
APT_PACKAGES += etcd-server etcd-client
# The WebSocket peers of the tests and of the benchmark (Tests/ProxyServerTests/Peers/, bench/ws_load.py)
# use Python's `websockets` package, this version, installed with pip when it is missing.
WEBSOCKETS_VERSION ?= 17.4
# The HTTP/2 frame-level peer of the tests (Tests/ProxyServerTests/Peers/h2_frames.py) uses the
# `hpack` package that comes with Python's `h2`, this version; nghttp and h2load come from apt
# (nghttp2-client).
H2_VERSION ?= 4.3.0
# grpcio and grpcio-health-checking: the gRPC target and client of the h2c/gRPC tests (Peers/grpc_peer.py).
GRPCIO_VERSION ?= 1.68.1
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CERTS_DIR ?= certs
BIN := .build/release/portcullis

.PHONY: all deps python-deps build build-debug test test-failover test-release run certs check clean fmt leak-check

all: build

## deps: install missing system packages (libssl-dev, pkg-config, curl, openssl) through apt
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "swift not found: install Swift 6.x (https://swift.org/install)"; exit 1; }

## python-deps: Python's websockets, h2 and grpcio packages (pinned) for the test peers, through pip when missing
python-deps:
	@python3 -c 'import sys, websockets.asyncio.server; sys.exit(int(websockets.__version__.split(".")[0]) < 13)' 2>/dev/null || { \
	  echo "installing: websockets==$(WEBSOCKETS_VERSION) (pip)"; \
	  python3 -m pip install --quiet --disable-pip-version-check "websockets==$(WEBSOCKETS_VERSION)" || \
	  python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "websockets==$(WEBSOCKETS_VERSION)"; \
	}
	@python3 -c 'import h2, hpack' 2>/dev/null || { \
	  echo "installing: h2==$(H2_VERSION) (pip)"; \
	  python3 -m pip install --quiet --disable-pip-version-check "h2==$(H2_VERSION)" || \
	  python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "h2==$(H2_VERSION)"; \
	}
	@python3 -c 'import grpc, grpc_health.v1.health' 2>/dev/null || { \
	  echo "installing: grpcio==$(GRPCIO_VERSION) grpcio-health-checking==$(GRPCIO_VERSION) (pip)"; \
	  python3 -m pip install --quiet --disable-pip-version-check "grpcio==$(GRPCIO_VERSION)" "grpcio-health-checking==$(GRPCIO_VERSION)" || \
	  python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "grpcio==$(GRPCIO_VERSION)" "grpcio-health-checking==$(GRPCIO_VERSION)"; \
	}

## build: release build of the portcullis executable
build: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product portcullis

## certs: make a local CA (kept and reused) and a localhost certificate in certs/
certs: build
	$(BIN) certs --out $(CERTS_DIR)

$(CERTS_DIR)/localhost.pem:
	$(MAKE) certs

## run: build, make dev certificates when absent, run with the embedded default (HTTPS :443 → 127.0.0.1:8080)
run: build $(CERTS_DIR)/localhost.pem
	$(BIN) run --certs-dir $(CERTS_DIR)

## test: build and run the whole suite (unit, TLS in memory, loopback integration), then the failover test
test: deps python-deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build
	FAILOVER_OPTIONAL=1 scripts/failover-test.sh .build/debug/portcullis

## test-failover: two instances sharing a virtual address with keepalived, in network namespaces
## it creates (root; ~10 s): the master killed, back, and shut down gracefully (decision 0032)
test-failover: deps
	$(SWIFT) build $(SWIFT_FLAGS) --product portcullis
	scripts/failover-test.sh .build/debug/portcullis

## test-release: the test suite compiled as the release binary is (optimized, whole-program; ~6½ min)
# swift-testing captures a backtrace at every thrown error through glibc's backtrace(); libgcc's
# unwinder crashes on some frames of the LTO build, so that capture is off here (decision 0014).
test-release: deps python-deps
	SWT_SWIFT_ERROR_BACKTRACING_ENABLED=0 $(SWIFT) test -c release $(SWIFT_FLAGS) \
	  -Xswiftc -enforce-exclusivity=unchecked $(WHOLE_PROGRAM_FLAGS) --scratch-path .build/release-tests

## check FILE=portcullis.yaml: validate a configuration file
check: build
	$(BIN) check $(FILE)

## leak-check: AddressSanitizer/LeakSanitizer build over >= 10,000 TLS handshakes (docs/leak-check.md)
leak-check: deps
	scripts/leak-check.sh

clean:
	rm -rf .build

.PHONY: bench bench-quick bench-deps

## bench-deps: install the peers and load tools for the benchmark (nginx, haproxy, wrk, h2load) through apt
BENCH_APT_PACKAGES ?= nginx haproxy wrk nghttp2-client openssl python3
bench-deps: python-deps
	@missing=""; for p in $(BENCH_APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# BENCH_SKIP_BUILD=1 measures the existing $(BIN) without rebuilding it.
BENCH_BUILD := $(if $(BENCH_SKIP_BUILD),,build)

## bench: Portcullis, nginx and HAProxy side by side on loopback (3 repetitions, ~15 min); writes docs/benchmarks.md
bench: bench-deps $(BENCH_BUILD)
	python3 bench/bench.py --mode full

## bench-quick: the same scenarios once, with short runs (~4 min), to check the harness
bench-quick: bench-deps $(BENCH_BUILD)
	python3 bench/bench.py --mode quick

.PHONY: bench-instructions
## bench-instructions: user-space instructions per request under callgrind, Portcullis vs nginx (~3 min; stable to <1 %)
bench-instructions: bench-deps $(BENCH_BUILD)
	@command -v valgrind >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends valgrind binutils; }
	python3 bench/instructions.py

.PHONY: demo
## demo: 3 demo backends behind Portcullis, load + a rolling `portcullis deploy`; prints the demo: line
demo: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product portcullis
	$(SWIFT) build $(RELEASE_FLAGS) --product portcullis-demo
	python3 demo/demo.py --portcullis .build/release/portcullis --backend .build/release/portcullis-demo
