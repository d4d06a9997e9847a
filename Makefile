# Entry points; each target runs one documented command.
.PHONY: test faults sim bench sysext man

# The whole test suite (see scripts/test).
test:
	./scripts/test

# The end-to-end fault tests with the long faults (see scripts/faults); about 2 minutes.
faults:
	./scripts/faults

# The fleet simulator with its defaults (the README Quick start "run").
sim:
	go run ./cmd/locksmith-sim

# The benchmark of BENCHMARKS.md (see scripts/bench); a few minutes.
bench:
	./scripts/bench

# The systemd-sysext image for Flatcar (see scripts/sysext).
sysext:
	./scripts/sysext

# The manual pages in docs/man, from the programs' flags (a test keeps them in sync).
man:
	go run ./internal/manpages/gen docs/man
