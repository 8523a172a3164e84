# The command line, outrig-sessions (cli/): its tests and lints in `make test`, its binary in
# `make install PREFIX=...` (to $(PREFIX)/bin; DESTDIR is honored).
TEST_STEPS += test-cli
.PHONY: cli test-cli install-cli

CLI_BIN = $(or $(CARGO_TARGET_DIR),target)/release/outrig-sessions

cli:
	$(CARGO) build --release -p outrig-sessions

test-cli:
	$(CARGO) test -p outrig-sessions
	$(CARGO) clippy -p outrig-sessions --all-targets -- -D warnings

install-cli: cli
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(CLI_BIN) $(DESTDIR)$(PREFIX)/bin/outrig-sessions

install: install-cli
