/* Compiled, never run, by `make test-c-nodiscard`, as C11 and as C++17 with -Werror:
 *
 * - as it is, it uses every status and must compile clean;
 * - with -DIGNORE_STATUS it drops one, which OUTRIG_NODISCARD must turn into an error
 *   (-Wunused-result), so a launcher cannot silently ignore a failure;
 * - with -DVOID_CAST (C++17 only) it drops one through a cast to void, which [[nodiscard]]
 *   accepts as "ignored on purpose". */
#include <outrig.h>

int main(void) {
    outrig_store *store = NULL;
#if defined(IGNORE_STATUS)
    outrig_store_open("/nonexistent/outrig-root", &store);
#elif defined(VOID_CAST)
    (void)outrig_store_open("/nonexistent/outrig-root", &store);
#else
    if (outrig_store_open("/nonexistent/outrig-root", &store) != OUTRIG_OK) return 1;
#endif
    outrig_store_free(store);
    return 0;
}
