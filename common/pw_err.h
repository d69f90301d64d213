/*
 * Error codes shared by every module.
 *
 * A fallible function returns int: 0 on success or a negative PW_E* code.
 * Results travel through out-parameters.  The table below is the single
 * definition of the codes and of their messages.
 */
#ifndef PW_ERR_H
#define PW_ERR_H

#if defined(__GNUC__) || defined(__clang__)
#define PW_WUR __attribute__((warn_unused_result))
#define PW_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PW_WUR
#define PW_PRINTF(fmt, args)
#endif

#define PW_ERRNO_MAP(XX)                                         \
  XX(NOMEM, "out of memory")                                     \
  XX(INVAL, "invalid argument")                                  \
  XX(IO, "input/output error")                                   \
  XX(PARSE, "malformed input")                                   \
  XX(RANGE, "value out of range")                                \
  XX(TOOSHORT, "not enough data")                                \
  XX(NUMERIC, "numerical failure")                               \
  XX(NOTFOUND, "not found")                                      \
  XX(TOOBIG, "input too large")                                 \
  XX(AUTH, "not authorised")                                     \
  XX(BUSY, "a change is still in progress")                      \
  XX(REFUSED, "refused")                                         \
  XX(REMOTE, "the remote API failed")                            \
  XX(NOSPC, "no space left on device")

enum pw_errno_index {
  PW_EIDX_NONE_ = 0,
#define PW_XX_(code, msg) PW_EIDX_##code##_,
  PW_ERRNO_MAP(PW_XX_)
#undef PW_XX_
  PW_EIDX_MAX_
};

enum pw_errno {
  PW_OK = 0,
#define PW_XX_(code, msg) PW_E##code = -PW_EIDX_##code##_,
  PW_ERRNO_MAP(PW_XX_)
#undef PW_XX_
};

/* Returns a static string for a PW_E* code (or "unknown error"). */
const char *pw_strerror(int err);

/*
 * Marks a branch that cannot be taken when the code is correct, as SQLite's
 * NEVER() does: asserted in debug builds, tested for in release builds.
 */
#ifdef NDEBUG
#define PW_NEVER(x) (x)
#else
#include <assert.h>
#define PW_NEVER(x) (assert(!(x)), (x))
#endif

#endif
