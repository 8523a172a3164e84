# `make install` and `make uninstall` as a whole: every face adds its own install-X and
# uninstall-X rules to them (mk/c.mk, mk/cli.mk); this checks, in `make test`, that uninstall
# removes exactly what install put in a prefix, through PREFIX and through DESTDIR.
TEST_STEPS += test-install
.PHONY: test-install

test-install:
	$(call step,test-install,make install and make uninstall into a temporary prefix)
	INSTALL_PROFILE=$(TEST_INSTALL_PROFILE) MAKE="$(MAKE)" tests/install/uninstall_test.sh
