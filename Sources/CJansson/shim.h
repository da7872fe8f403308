#include <jansson.h>

// jansson's type test and boolean constructor are macros; Swift imports neither.
static inline json_type cjansson_typeof(const json_t *value) { return json_typeof(value); }
static inline json_t *cjansson_boolean(int value) { return value ? json_true() : json_false(); }

// Function-like flag macros are not imported either.
static inline size_t cjansson_compact_flags(void) { return JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17); }
static inline size_t cjansson_pretty_flags(void) { return JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17); }
