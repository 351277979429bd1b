# dmctl build, test and install.
#
#   make build      static binary in bin/dmctl
#   make test       deps, lint, unit, vmtest, reliability, man-check (what CI runs)
#   make unit       host tests (-race when a C compiler is present)
#   make vmtest     kernel tests, each test binary in a QEMU guest
#   make reliability the reliability suite (concurrency, random kills, faults,
#                   bad input) in a QEMU guest; prints its figures
#   make lint       go mod tidy -diff, go vet, staticcheck (pinned in go.mod), the darwin build
#   make fuzz       every Fuzz* target for FUZZTIME (default 20s) each
#   make man        regenerate the man page and docs/json.md; make man-check verifies them
#   make demo       run scripts/demo.sh in a QEMU guest
#   make bench      dmctl against dmsetup, the thin tools and the bare-ioctl
#                   floor in one QEMU guest run; rewrites BENCHMARKS.md
#   make bench-check  the short benchmark (about 10 minutes in one guest on
#                   2 cores, so not part of make test): fails when a
#                   performance target regresses
#   make bench-profile  make bench with CPU and allocation profiles
#   make install    into $(DESTDIR)$(PREFIX) (default /usr/local)
#
# Kernel tests need no device-mapper on the host: scripts/vmexec boots
# Debian's cloud kernel under QEMU (see scripts/vm-kernel, vm-initramfs).

GO ?= go
PREFIX ?= /usr/local
DESTDIR ?=
FUZZTIME ?= 20s
# Without git (a tarball), the version comes from the build information.
VERSION ?= $(shell git describe --always --dirty 2>/dev/null)
# urfave/cli's Markdown and man page generator (and the libraries under
# it) is left out of the binary: dmctl renders its man page itself.
TAGS ?= urfave_cli_no_docs
LDFLAGS = -s -w $(if $(VERSION),-X github.com/dmctl/dmctl/commands.version=$(VERSION))
# zsh looks in site-functions under /usr/local, in vendor-completions
# under /usr (Debian's fpath).
ZSHCOMPDIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)

# -race needs cgo, hence a C compiler; without one the unit tests run plain.
RACE ?= $(shell command -v "$$($(GO) env CC 2>/dev/null)" >/dev/null 2>&1 && echo -race)

VM_PKGS = ./dmctl/... ./pool/... ./commands/... ./format/...

.PHONY: all build unit vmtest reliability vm-cache test deps lint fuzz man man-check demo install clean vm-clean \
	bench bench-check bench-profile

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -ldflags "$(LDFLAGS)" -o bin/dmctl .

unit:
	$(GO) test $(RACE) -tags $(TAGS) -count=1 ./...

# Fetch the kernel and build the guest image once, before go test starts
# several guests in parallel.
vm-cache:
	scripts/vm-kernel
	scripts/vm-initramfs

vmtest: vm-cache
	CGO_ENABLED=0 $(GO) test -tags $(TAGS) -count=1 -exec $(CURDIR)/scripts/vmexec -timeout 30m -skip '^TestReliability' $(VM_PKGS)

# The reliability suite runs with -v, which go test needs to show a passing
# test's output, into a log; the figure lines (RELIABILITY ...) and the
# verdicts are printed, and the whole log's end when something failed.
# make test runs it beside vmtest: most of vmtest's time is one package's
# guest, which leaves a core to this one's.
RELIABILITY_LOG = $(CURDIR)/.cache/reliability.log

reliability: vm-cache
	@mkdir -p $(dir $(RELIABILITY_LOG))
	@echo "CGO_ENABLED=0 $(GO) test -tags $(TAGS) -count=1 -v -exec $(CURDIR)/scripts/vmexec -timeout 40m -run '^TestReliability' ./commands > $(RELIABILITY_LOG)"
	@CGO_ENABLED=0 $(GO) test -tags $(TAGS) -count=1 -v -exec $(CURDIR)/scripts/vmexec -timeout 40m -run '^TestReliability' ./commands \
		>$(RELIABILITY_LOG) 2>&1; rc=$$?; \
		grep -E '^(RELIABILITY |--- |ok |FAIL|PASS$$)' $(RELIABILITY_LOG); \
		if [ $$rc -ne 0 ]; then echo "--- the end of $(RELIABILITY_LOG):"; tail -n 300 $(RELIABILITY_LOG); fi; \
		exit $$rc

test: deps
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) -j2 --output-sync=target vmtest reliability
	$(MAKE) man-check

deps:
	scripts/deps

# The Linux-only packages (main, commands, pool) carry //go:build linux; the
# rest (format, pool/thinmeta, dmctl's types) must build everywhere.
lint:
	$(GO) mod tidy -diff
	$(GO) vet -tags $(TAGS) ./...
	$(GO) tool staticcheck -tags $(TAGS) ./...
	GOOS=darwin $(GO) build -tags $(TAGS) ./...

fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz

man:
	$(GO) test -tags $(TAGS) ./commands -run TestManPage -count=1 -args -update
	$(GO) test -tags $(TAGS) ./format -run TestSchemaDoc -count=1 -args -update

man-check:
	$(GO) test -tags $(TAGS) ./commands -run TestManPage -count=1
	$(GO) test -tags $(TAGS) ./format -run TestSchemaDoc -count=1

# The benchmarks run in one QEMU guest (see scripts/benchmark).
bench: build deps vm-cache
	GO=$(GO) TAGS=$(TAGS) scripts/benchmark full

bench-check: build deps vm-cache
	GO=$(GO) TAGS=$(TAGS) scripts/benchmark check

bench-profile: build deps vm-cache
	GO=$(GO) TAGS=$(TAGS) scripts/benchmark profile

demo: build deps
	scripts/vmrun --bin bin/dmctl --file scripts/demo.sh -- bash scripts/demo.sh

install: build
	install -D -m 0755 bin/dmctl $(DESTDIR)$(PREFIX)/sbin/dmctl
	install -D -m 0644 man/dmctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/dmctl.8
	install -D -m 0644 man/dmctl.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/dmctl
	install -D -m 0644 man/_dmctl $(DESTDIR)$(ZSHCOMPDIR)/_dmctl
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/sbin/dmctl|$(PREFIX)/sbin/dmctl|g' 'scripts/dmctl-pool@.service' \
		>'$(DESTDIR)$(PREFIX)/lib/systemd/system/dmctl-pool@.service'
	sed 's|/usr/local/sbin/dmctl|$(PREFIX)/sbin/dmctl|g' 'scripts/dmctl-pool-monitor@.service' \
		>'$(DESTDIR)$(PREFIX)/lib/systemd/system/dmctl-pool-monitor@.service'

clean:
	rm -rf bin

# Drops the cached kernel and guest image (fetched again on the next run).
vm-clean:
	rm -rf .cache/vm
