// The CMake consumer from C++ (most launchers that build with CMake are C++), through the
// installed outrig.hpp: lists the root given as its argument and prints "sessions: N". Any
// failure prints the status and the library's message and exits 1.
#include <cstdio>

#include <outrig.hpp>

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s ROOT\n", argv[0]);
        return 2;
    }
    try {
        outrig::store store = outrig::store::open(argv[1]);
        std::printf("sessions: %zu\n", store.list().size());
    } catch (const outrig::error &e) {
        std::fprintf(stderr, "consumer_cxx: %s: %s\n", e.status_name(), e.what());
        return 1;
    }
    return 0;
}
