#ifndef TIMMY_CPROCESSCONTROL_SHIM_H
#define TIMMY_CPROCESSCONTROL_SHIM_H

#include <sys/prctl.h>
#include <sys/resource.h>

// prctl is variadic, which Swift cannot call: typed wrappers for the one use.

/// Marks the process non-dumpable: no core file, and other users' processes
/// (and the same uid without CAP_SYS_PTRACE) cannot ptrace it or read its /proc files.
static inline int timmy_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L); }

/// Core file size limit 0, soft and hard, so not even a later prctl can bring dumps back.
static inline int timmy_set_core_limit_zero(void) {
    struct rlimit none = { 0, 0 };
    return setrlimit(RLIMIT_CORE, &none);
}

#endif
