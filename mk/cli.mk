# The command line, outrig-sessions (cli/): its tests and lints in `make test`, its binary in
# `make install PREFIX=...` (to $(PREFIX)/bin; DESTDIR is honored).
#
# Its tests also run it on roots the other faces wrote: the C launcher's demo root (`demo-c`,
# mk/c.mk) and a root made through the Python module (`python-module`, mk/python.mk), when those
# rules are part of the build; cli/tests/interop.rs says what it checks.
TEST_STEPS += test-cli
.PHONY: cli test-cli install-cli uninstall-cli

CLI_BIN = $(or $(CARGO_TARGET_DIR),target)/release/outrig-sessions
DEMO_ROOT ?= $(BUILD)/demo-root
CLI_WITH_C := $(if $(wildcard mk/c.mk),demo-c)
CLI_WITH_PYTHON := $(if $(wildcard mk/python.mk),python-module)

cli:
	$(CARGO) build --release -p outrig-sessions

test-cli: $(CLI_WITH_C) $(CLI_WITH_PYTHON)
	$(if $(CLI_WITH_C),OUTRIG_SESSIONS_C_ROOT="$(abspath $(DEMO_ROOT))") \
	$(if $(CLI_WITH_PYTHON),OUTRIG_SESSIONS_PYTHON="$(VENV_PY)") \
		$(CARGO) test -p outrig-sessions
	$(CARGO) clippy -p outrig-sessions --all-targets -- -D warnings

install-cli: cli
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(CLI_BIN) $(DESTDIR)$(PREFIX)/bin/outrig-sessions

install: install-cli

uninstall-cli:
	rm -f $(DESTDIR)$(PREFIX)/bin/outrig-sessions

uninstall: uninstall-cli
