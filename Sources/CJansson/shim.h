#include <jansson.h>

// jansson's type test and boolean constructor are macros; Swift imports neither.
static inline json_type cjansson_typeof(const json_t *value) { return json_typeof(value); }
static inline json_t *cjansson_boolean(int value) { return value ? json_true() : json_false(); }
