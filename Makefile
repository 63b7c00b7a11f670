# tsrunc: build, install, demo, test. Bun comes from npm (pinned in package.json).
BUN      := node_modules/@oven/bun-linux-x64/bin/bun
TSC      := node_modules/.bin/tsc
PREFIX   ?= /usr/local
VERSION  := $(shell node -p "require('./package.json').version")
COMMIT   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BIN      := dist/tsrunc
SRC      := $(shell find src -name '*.ts' -o -name '*.js') package.json Makefile
TEST_ROOTFS := test/.rootfs

.PHONY: all build install demo test test-unit test-integration deps clean rootfs conformance bench test-clients demos demo-fish demo-mydocker demo-run-container demo-slides demo-scratch

all: build

node_modules/.installed: package.json
	npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund
	touch $@

deps: node_modules/.installed

src/spec/generated/validate-config.js: schema/*.json schema/compile.ts | node_modules/.installed
	$(BUN) schema/compile.ts

# --splitting: yargs (help only) and the validator load only when used (-2 ms per call).
# --no-compile-autoload-*: containerd runs the runtime with the bundle as cwd; a .env or bunfig.toml
# there must not configure the runtime.
# --compile-jit-policy=100: tier-up thresholds 100x higher. Each call runs its code once: the
# JIT's baseline and DFG compiles (17 + 1 in a `run`, 3.4 ms of CPU) only competed with the init
# engine's start for this 2-CPU machine (paired N=100 twice: run 24.2/28.6 -> 22.7/27.3 ms).
# Long loops (a terminal proxy, events) still get compiled.
$(BIN): node_modules/.installed src/spec/generated/validate-config.js $(SRC)
	$(TSC) --noEmit -p .
	mkdir -p dist
	$(BUN) build --compile --splitting --minify --bytecode --format=esm --no-compile-autoload-dotenv --no-compile-autoload-bunfig --compile-jit-policy=100 \
	  --define TSRUNC_VERSION='"$(VERSION)"' --define TSRUNC_COMMIT='"$(COMMIT)"' \
	  src/main.ts --outfile $(BIN)

build: $(BIN)

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/tsrunc

# a busybox rootfs from Debian's busybox-static
rootfs:
	@command -v busybox >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static)
	bundles/make-busybox-rootfs.sh $(TEST_ROOTFS)

demo: build rootfs
	bundles/demo.sh $(BIN) $(TEST_ROOTFS)

test-unit: node_modules/.installed
	$(BUN) test test/unit

test-integration: build rootfs
	TSRUNC=$(abspath $(BIN)) TSRUNC_ROOTFS=$(abspath $(TEST_ROOTFS)) $(BUN) test --timeout 60000 test/integration
	test/check-clean.sh

test: build rootfs
	$(BUN) test test/unit
	TSRUNC=$(abspath $(BIN)) TSRUNC_ROOTFS=$(abspath $(TEST_ROOTFS)) $(BUN) test --timeout 60000 test/integration
	test/check-clean.sh

clean:
	rm -rf dist $(TEST_ROOTFS)

# The runtime-spec conformance suite (conformance/README.md): TAP on stdout, a JSON report in
# conformance/results/. `make conformance RUNTIME=/usr/sbin/runc` runs it against another runtime.
RUNTIME ?= $(abspath dist/tsrunc)
CONFORMANCE_FLAGS ?=

conformance: build
	@command -v busybox >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static)
	$(BUN) conformance/run.ts --runtime $(RUNTIME) $(CONFORMANCE_FLAGS)

# tsrunc side by side with runc and crun (issue 9): medians and ratios to stdout and
# bench/results/<date>.md; as root. make bench RUNTIMES="tsrunc runc" BENCH_ARGS="--n 50"
RUNTIMES   ?= tsrunc runc crun
BENCH_ARGS ?=

bench: build
	$(BUN) test/bench/run.ts --runtimes "$(RUNTIMES)" $(BENCH_ARGS)

# Real clients driving tsrunc (issue 7), each in a private mount namespace: podman, containerd, docker.
test-clients: build rootfs
	@command -v podman >/dev/null && command -v containerd >/dev/null && command -v dockerd >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman containerd docker.io)
	test/clients/podman.sh $(BIN) $(TEST_ROOTFS)
	test/clients/containerd.sh $(BIN) $(TEST_ROOTFS)
	test/clients/docker.sh $(BIN) $(TEST_ROOTFS)

# The seed demos as bundles (bundles/demos.ts): make demo-fish, demo-mydocker, demo-run-container,
# demo-slides, demo-scratch; `make demos` runs them all (CI does).
DEMOS := fish mydocker run-container slides scratch
$(addprefix demo-,$(DEMOS)): demo-%: build rootfs
	$(BUN) bundles/demos.ts $* $(BIN) $(TEST_ROOTFS)

demos: $(addprefix demo-,$(DEMOS))
