/*
 * Scrubbing secrets out of error text before it leaves the process (logs,
 * the /api JSON, metrics, the exit message).  Upstream libraries echo
 * what they were given: libpq repeats a malformed connection string in
 * PQerrorMessage, and libcurl's errors may name a URL with its userinfo
 * or a token in its query.
 */
#ifndef PW_SCRUB_H
#define PW_SCRUB_H

#include <stddef.h>

/*
 * Rewrites the NUL-terminated msg (in a buffer of size bytes) in place:
 *   - URL userinfo: the "user:pass@" of a URL becomes "***@";
 *   - secret parameters, in a URL query ("?token=x&a=1") or a libpq
 *     conninfo ("password=x", "password = 'a b'"), keep their name and
 *     get "***" for a value.  A name is secret when it contains pass, pwd,
 *     secret, token, signature or credential, or is key, sig, auth or
 *     apikey (any case);
 *   - libpq's echo of a malformed connection string or URI, the quoted
 *     text after `after "`, `URI: "`, `token: "`, `parameter: "` and
 *     `value: "`, becomes "***";
 *   - every occurrence of known, when it is not NULL and 4 or more bytes
 *     long (the caller's own conninfo or URL), becomes "***".
 * The result is cut to size - 1 bytes.  Never fails; no allocation.
 * Safe from any thread (msg is the caller's).
 */
void pw_scrub_secret(char *msg, size_t size, const char *known);

#endif
