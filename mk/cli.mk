# The command line, outrig-sessions (cli/): its tests in `make test` (its lints in `make lint`), its binary in
# `make install PREFIX=...` (to $(PREFIX)/bin; DESTDIR is honored).
#
# Its tests also run it on roots the other faces wrote: the C launcher's demo root (`demo-c`,
# mk/c.mk) and a root made through the Python module (`python-module`, mk/python.mk);
# cli/tests/interop.rs says what it checks.
TEST_STEPS += test-cli
.PHONY: cli test-cli install-cli uninstall-cli

CLI_BIN = $(TARGET_DIR)/$(INSTALL_PROFILE)/outrig-sessions

cli:
	$(call step,cli,building the command line (first build: a minute or two))
	$(CARGO) build $(if $(filter debug,$(INSTALL_PROFILE)),,--release) -p outrig-sessions

test-cli: demo-c python-module
	$(call step,test-cli,the command line's tests)
	OUTRIG_SESSIONS_C_ROOT="$(abspath $(DEMO_ROOT))" OUTRIG_SESSIONS_PYTHON="$(VENV_PY)" \
		$(CARGO) test -p outrig-sessions -- --include-ignored

install-cli: cli
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(CLI_BIN) $(DESTDIR)$(PREFIX)/bin/outrig-sessions

install: install-cli

uninstall-cli:
	rm -f $(DESTDIR)$(PREFIX)/bin/outrig-sessions

uninstall: uninstall-cli
