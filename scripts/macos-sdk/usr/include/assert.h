/* The C standard's assert, for ring's debug checks. See
 * scripts/macos-check.sh. */
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : __builtin_trap())
#endif
