// The CMake consumer from C++ (most launchers that build with CMake are C++): lists the root
// given as its argument and prints "sessions: N". Any failure prints the library's message and
// exits 1.
#include <cstdio>
#include <memory>

#include <outrig.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s ROOT\n", argv[0]);
        return 2;
    }
    outrig_store *store = nullptr;
    if (outrig_store_open(argv[1], &store) != OUTRIG_OK) {
        std::fprintf(stderr, "consumer_cxx: open: %s\n", outrig_last_error_message());
        return 1;
    }
    std::unique_ptr<outrig_store, decltype(&outrig_store_free)> owned_store(store,
                                                                            outrig_store_free);
    outrig_listing *listing = nullptr;
    if (outrig_store_list(store, &listing) != OUTRIG_OK) {
        std::fprintf(stderr, "consumer_cxx: list: %s\n", outrig_last_error_message());
        return 1;
    }
    std::unique_ptr<outrig_listing, decltype(&outrig_listing_free)> owned_listing(
        listing, outrig_listing_free);
    std::printf("sessions: %zu\n", outrig_listing_len(listing));
    return 0;
}
