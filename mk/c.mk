# The C ABI (liboutrig, include/outrig.h, and the C++ header include/outrig.hpp over it):
# header regeneration, the C and C++ test programs
# against the shared and the static library (plain, under valgrind, and with ASan/UBSan), the
# launcher example and its demo, and `make install-c PREFIX=...` (headers, stripped libraries
# with their SONAME links, outrig.pc and outrig-static.pc, the CMake package) and
# `make uninstall-c`, with tests that build against an installed copy through pkg-config and
# through CMake.
TEST_STEPS += test-c
DEMO_STEPS += demo-c
.PHONY: header c-lib c-lib-release c-libdir c-launcher c-tests test-c test-c-header \
	test-c-nodiscard test-c-install test-c-cmake demo-c install-c uninstall-c uninstall c-tools c-cmake-tool

CC ?= cc
CXX ?= c++
STRIP ?= strip
VALGRIND ?= valgrind
C_BUILD := $(BUILD)/c

OUTRIG_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
OUTRIG_MAJOR := $(firstword $(subst ., ,$(OUTRIG_VERSION)))
# What a program linking liboutrig.a also needs (`--print native-static-libs` of the crate),
# kept once in mk/static-libs: outrig.pc, outrig-static.pc, the CMake targets and
# tests/c_interop.rs take it from there.
OUTRIG_STATIC_LIBS := $(shell cat mk/static-libs)

C_FLAGS := -std=c11 -Wall -Wextra -Werror -g -Iinclude
CXX_FLAGS := -std=c++17 -Wall -Wextra -Werror -g -Iinclude
# outrig.hpp's tests are pedantic too, as the issue asks of a header people include.
HPP_FLAGS := $(CXX_FLAGS) -pedantic
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LIB_DEBUG := $(TARGET_DIR)/debug
# Programs record the SONAME, liboutrig.so.0, which cargo does not make: link through a
# directory that has it, and find it there at run time.
C_LIBDIR := $(C_BUILD)/lib
SHARED_LINK := -L$(C_LIBDIR) -loutrig -Wl,-rpath,$(abspath $(C_LIBDIR)) -lpthread
STATIC_LINK := $(LIB_DEBUG)/liboutrig.a $(OUTRIG_STATIC_LIBS)
C_TEST_SRC := $(wildcard tests/c/*.c)
# Any invalid access or definite/indirect leak fails the run. "Possibly lost" is not shown:
# Rust's standard library keeps each thread's handle behind an interior pointer in
# thread-local storage, which valgrind reports that way at exit.
VALGRIND_RUN := $(VALGRIND) -q --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-possibly-lost=no
export OUTRIG_CONFORMANCE_DIR ?= $(abspath ../shared/conformance)

# Regenerates include/outrig.h from src/ffi/ (review and commit the diff).
header:
	OUTRIG_BLESS=1 $(CARGO) test -q -p outrig --test header

# Installs a missing tool from the Debian package of the same purpose when that is possible
# (root, with apt-get: CI on a fresh Debian machine); otherwise stops, naming the package.
# $(call c-need,COMMANDS,PACKAGES)
c-need = missing=; for tool in $(1); do command -v $$tool >/dev/null || missing=1; done; \
	test -z "$$missing" && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(2); \
	else echo "missing $(1): install the package(s) $(2)" >&2; exit 1; fi

CMAKE ?= cmake

# valgrind and pkg-config, installed when missing.
c-tools:
	@$(call c-need,$(VALGRIND) pkg-config,valgrind pkg-config)

# cmake, for the test of the installed CMake package.
c-cmake-tool:
	@$(call c-need,$(CMAKE),cmake)

# The C libraries: the crate with its C ABI, built as a cdylib and a staticlib. The package
# lists only the rlib, so a Rust dependent never builds these (Cargo.toml says why). The
# shared library gets its SONAME here, with the major version only (it changes with an
# incompatible C ABI: README, "Keeping the ABI"), so programs linked against liboutrig.so
# record liboutrig.so.$(OUTRIG_MAJOR). tests/c_interop.rs runs the same command, so that
# `make test` builds the libraries once.
C_LIB_BUILD := $(CARGO) rustc -p outrig --lib --features capi --crate-type cdylib \
	--crate-type staticlib
C_LIB_RUSTC_ARGS := -- -C link-arg=-Wl,-soname,liboutrig.so.$(OUTRIG_MAJOR)

c-lib:
	$(call step,c-lib,building the C library (first build: a few minutes))
	$(C_LIB_BUILD) $(C_LIB_RUSTC_ARGS)

c-lib-release:
	$(call step,c-lib-release,building the optimized C library (first build: a few minutes))
	$(C_LIB_BUILD) --release $(C_LIB_RUSTC_ARGS)

# The debug libraries, with the SONAME link the shared one is found by.
c-libdir: c-lib
	@mkdir -p $(C_LIBDIR)
	ln -sfn $(abspath $(LIB_DEBUG))/liboutrig.so $(C_LIBDIR)/liboutrig.so
	ln -sfn liboutrig.so $(C_LIBDIR)/liboutrig.so.$(OUTRIG_MAJOR)

c-launcher: c-libdir
	$(CC) $(C_FLAGS) examples/launcher.c -o $(C_BUILD)/launcher $(SHARED_LINK)

# Every test program, linked against the shared library and against the static one.
c-tests: c-libdir c-launcher
	$(call step,c-tests,compiling the C and C++ tests against the shared and static libraries)
	$(CC) $(C_FLAGS) $(C_TEST_SRC) -o $(C_BUILD)/test_shared $(SHARED_LINK)
	$(CC) $(C_FLAGS) $(C_TEST_SRC) -o $(C_BUILD)/test_static $(STATIC_LINK)
	$(CC) $(C_FLAGS) $(SAN_FLAGS) $(C_TEST_SRC) -o $(C_BUILD)/test_asan_shared $(SHARED_LINK)
	$(CC) $(C_FLAGS) $(SAN_FLAGS) $(C_TEST_SRC) -o $(C_BUILD)/test_asan_static $(STATIC_LINK)
	$(CXX) $(CXX_FLAGS) tests/c/test_cpp.cpp -o $(C_BUILD)/test_cpp_shared $(SHARED_LINK)
	$(CXX) $(CXX_FLAGS) tests/c/test_cpp.cpp -o $(C_BUILD)/test_cpp_static $(STATIC_LINK)
	$(CXX) $(HPP_FLAGS) tests/c/test_hpp.cpp -o $(C_BUILD)/test_hpp_shared $(SHARED_LINK)
	$(CXX) $(HPP_FLAGS) tests/c/test_hpp.cpp -o $(C_BUILD)/test_hpp_static $(STATIC_LINK)
	$(CXX) $(HPP_FLAGS) $(SAN_FLAGS) tests/c/test_hpp.cpp -o $(C_BUILD)/test_hpp_asan \
		$(SHARED_LINK)

# The headers alone compile clean: outrig.h as C11 and as C++17, outrig.hpp as C++17, pedantic.
test-c-header:
	$(CC) -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c include/outrig.h
	$(CXX) -std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c++ include/outrig.h
	$(CXX) -std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c++ include/outrig.hpp

# Ignoring an outrig_status does not compile with -Werror, in C11 and in C++17; the same program
# using it does, and C++17's cast to void says "on purpose" (tests/c/nodiscard/ignored_status.c).
# Compiled to objects, not only checked for syntax: GCC's C front end warns about unused results
# in a later pass than -fsyntax-only runs.
NODISCARD_SRC := tests/c/nodiscard/ignored_status.c
test-c-nodiscard:
	@mkdir -p $(C_BUILD)
	$(CC) $(C_FLAGS) -c $(NODISCARD_SRC) -o $(C_BUILD)/nodiscard.o
	$(CXX) $(CXX_FLAGS) -x c++ -c $(NODISCARD_SRC) -o $(C_BUILD)/nodiscard.o
	$(CXX) $(CXX_FLAGS) -DVOID_CAST -x c++ -c $(NODISCARD_SRC) -o $(C_BUILD)/nodiscard.o
	@for compile in "$(CC) $(C_FLAGS) -x c" "$(CXX) $(CXX_FLAGS) -x c++"; do \
		if $$compile -DIGNORE_STATUS -c $(NODISCARD_SRC) -o $(C_BUILD)/nodiscard.o \
			2>$(C_BUILD)/nodiscard.err; then \
			echo "$$compile: a program ignoring a status compiled" >&2; exit 1; fi; \
		grep -q 'unused-result' $(C_BUILD)/nodiscard.err || { \
			echo "$$compile failed, but not on the ignored status:" >&2; \
			cat $(C_BUILD)/nodiscard.err >&2; exit 1; }; \
		echo "$$compile -DIGNORE_STATUS: refused, as it must be"; \
	done

# Each test program: plain, under valgrind, and built with ASan/UBSan. The runs are independent
# (each its own temporary root) and mostly wait (lock timeouts) or run one thread at a time
# under valgrind, so test-c runs them four at once, each one's output printed whole.
C_RUNS_PLAIN := $(addprefix c-run-plain-,shared static cpp_shared cpp_static hpp_shared hpp_static)
C_RUNS_VALGRIND := $(addprefix c-run-valgrind-,shared static cpp_shared hpp_shared)
C_RUNS_ASAN := $(addprefix c-run-asan-,hpp_asan asan_shared asan_static)
C_RUNS := $(C_RUNS_PLAIN) $(C_RUNS_VALGRIND) $(C_RUNS_ASAN)
.PHONY: $(C_RUNS)
$(C_RUNS_PLAIN): c-run-plain-%:
	$(C_BUILD)/test_$*
$(C_RUNS_VALGRIND): c-run-valgrind-%:
	$(VALGRIND_RUN) $(C_BUILD)/test_$*
$(C_RUNS_ASAN): c-run-asan-%:
	ASAN_OPTIONS=detect_leaks=1 $(C_BUILD)/test_$*

test-c: c-tools test-c-header test-c-nodiscard c-tests test-c-install test-c-cmake
	$(call step,test-c,running the C and C++ tests: plain; under valgrind; with ASan/UBSan)
	$(MAKE) --no-print-directory -j4 --output-sync=target $(C_RUNS)

# Installs into a temporary prefix and builds and runs the launcher through pkg-config (shared,
# and static through outrig-static.pc); checks the libraries are stripped and that
# uninstall-c removes exactly what install-c put there.
test-c-install: c-tools c-lib
	$(call step,test-c-install,installing the C library into a temporary prefix; pkg-config builds)
	INSTALL_PROFILE=$(TEST_INSTALL_PROFILE) CC="$(CC)" MAKE="$(MAKE)" tests/c/install_test.sh

# Installs into a temporary prefix and builds and runs a CMake project that finds the package
# and links each imported target (tests/cmake/consumer).
test-c-cmake: c-cmake-tool c-lib
	$(call step,test-c-cmake,building C and C++ programs against the installed CMake package)
	INSTALL_PROFILE=$(TEST_INSTALL_PROFILE) CC="$(CC)" CXX="$(CXX)" MAKE="$(MAKE)" \
		CMAKE="$(CMAKE)" tests/cmake/cmake_test.sh

# Runs the launcher under a fresh root; the Python demo lists the same root afterwards.
demo-c: c-launcher
	$(call step,demo-c,running the C launcher: one session under $(DEMO_ROOT))
	rm -rf $(DEMO_ROOT)
	$(C_BUILD)/launcher --root $(DEMO_ROOT) --name outrig-demo-c --agent demo \
		-- sh -c 'echo hello from the agent; echo "working in $$PWD" >&2'

# The installed files, relative to $(PREFIX); `uninstall-c` removes exactly these. The
# libraries are installed stripped (the release .so shrinks from ~10 MB to ~1.3 MB): the .so
# keeps its dynamic symbols, the .a loses only debug information, keeping what a link needs
# (and a debug build's .debug_gdb_scripts, gdb's pretty-printer hook, which -g leaves).
C_INSTALL_LIB := lib/liboutrig.so.$(OUTRIG_VERSION) lib/liboutrig.so.$(OUTRIG_MAJOR) \
	lib/liboutrig.so lib/liboutrig.a
C_INSTALL_META := lib/pkgconfig/outrig.pc lib/pkgconfig/outrig-static.pc \
	lib/cmake/outrig/outrigConfig.cmake lib/cmake/outrig/outrigConfigVersion.cmake
C_INSTALL_FILES := include/outrig.h include/outrig.hpp $(C_INSTALL_LIB) $(C_INSTALL_META)
# The .in files' placeholders; CMake wants the static libraries as a list of names.
C_EMPTY :=
C_SPACE := $(C_EMPTY) $(C_EMPTY)
C_SUBST := sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(OUTRIG_VERSION)|' \
	-e 's|@MAJOR@|$(OUTRIG_MAJOR)|' -e 's|@LIBS_PRIVATE@|$(OUTRIG_STATIC_LIBS)|' \
	-e 's|@CMAKE_STATIC_LIBS@|$(subst $(C_SPACE),;,$(patsubst -l%,%,$(OUTRIG_STATIC_LIBS)))|' \
	-e 's|@POINTER_SIZE@|$(shell expr $$(getconf LONG_BIT) / 8)|'

# The C library alone (header, libraries, pkg-config and CMake files), without building the
# command line; `make install` is this plus the other faces' installs.
install-c: $(if $(filter debug,$(INSTALL_PROFILE)),c-lib,c-lib-release)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/lib/cmake/outrig
	install -m 644 include/outrig.h $(DESTDIR)$(PREFIX)/include/outrig.h
	install -m 644 include/outrig.hpp $(DESTDIR)$(PREFIX)/include/outrig.hpp
	install -m 755 $(TARGET_DIR)/$(INSTALL_PROFILE)/liboutrig.so \
		$(DESTDIR)$(PREFIX)/lib/liboutrig.so.$(OUTRIG_VERSION)
	$(STRIP) --strip-unneeded $(DESTDIR)$(PREFIX)/lib/liboutrig.so.$(OUTRIG_VERSION)
	ln -sfn liboutrig.so.$(OUTRIG_VERSION) $(DESTDIR)$(PREFIX)/lib/liboutrig.so.$(OUTRIG_MAJOR)
	ln -sfn liboutrig.so.$(OUTRIG_MAJOR) $(DESTDIR)$(PREFIX)/lib/liboutrig.so
	install -m 644 $(TARGET_DIR)/$(INSTALL_PROFILE)/liboutrig.a $(DESTDIR)$(PREFIX)/lib/liboutrig.a
	$(STRIP) -g -R .debug_gdb_scripts $(DESTDIR)$(PREFIX)/lib/liboutrig.a
	$(C_SUBST) mk/outrig.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/outrig.pc
	$(C_SUBST) mk/outrig-static.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/outrig-static.pc
	$(C_SUBST) mk/outrigConfig.cmake.in > $(DESTDIR)$(PREFIX)/lib/cmake/outrig/outrigConfig.cmake
	$(C_SUBST) mk/outrigConfigVersion.cmake.in \
		> $(DESTDIR)$(PREFIX)/lib/cmake/outrig/outrigConfigVersion.cmake

# Removes what install-c installed, and its own lib/cmake/outrig directory; shared directories
# (include, lib, lib/pkgconfig) stay.
uninstall-c:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(C_INSTALL_FILES))
	rmdir $(DESTDIR)$(PREFIX)/lib/cmake/outrig 2>/dev/null || true

install: install-c
uninstall: uninstall-c
