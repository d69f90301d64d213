#include "pw_err.h"

const char *pw_strerror(int err) {
  switch(err) {
  case PW_OK:
    return "success";
#define PW_XX_(code, msg) \
  case PW_E##code:        \
    return msg;
    PW_ERRNO_MAP(PW_XX_)
#undef PW_XX_
  default:
    return "unknown error";
  }
}
