# Keeping the C ABI (README, "Keeping the ABI"): abi/liboutrig.abi records the ABI of
# liboutrig.so (libabigail's abidw), and `make test` compares the built library with it
# (abidiff, tests/abi/abi_check.sh): an incompatible change fails unless the SONAME's major
# version moved with it, an addition passes, and the library must export only outrig_*. The
# check itself is tested on small libraries broken on purpose (tests/abi/check_test.sh).
# `make abi-baseline` records the built library's ABI: run it after adding functions (or after
# a deliberate major version change) and commit the file.
TEST_STEPS += test-abi
.PHONY: abi-tools test-abi abi-baseline

ABI_BASELINE := abi/liboutrig.abi
# The debug library: the release one keeps line tables only, and abidw needs the types.
ABI_LIB := $(LIB_DEBUG)/liboutrig.so

abi-tools:
	@$(call c-need,abidw abidiff nm readelf,abigail-tools binutils)

test-abi: abi-tools c-lib
	$(call step,test-abi,checking the C ABI against $(ABI_BASELINE))
	tests/abi/abi_check.sh $(ABI_LIB) $(ABI_BASELINE)
	CC="$(CC)" tests/abi/check_test.sh

abi-baseline: abi-tools c-lib
	tests/abi/abi_check.sh --record $(ABI_LIB) $(ABI_BASELINE)
