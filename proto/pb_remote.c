#include "pb_remote.h"

#include <stdio.h>
#include <string.h>

#include <snappy-c.h>

#include "../common/pw_alloc.h"
#include "remote.pb-c.h"

struct pb_write {
  Prometheus__WriteRequest *req;
  /* Views of each series, built once at decode. */
  struct pb_series *series;
  struct pb_label *labels;
  struct pb_sample *samples;
};

int pb_is_stale(double v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof(bits));
  return bits == PB_STALE_NAN_BITS;
}

/* protobuf-c allocates through these, so the fail-Nth tests reach it. */
static void *pb_alloc(void *ud, size_t n) {
  (void)ud;
  return pw_malloc(n ? n : 1);
}

static void pb_free(void *ud, void *p) {
  (void)ud;
  pw_free(p);
}

static ProtobufCAllocator allocator = {pb_alloc, pb_free, NULL};

/*
 * The wire-format pre-scan: walks WriteRequest > TimeSeries > Label and
 * Sample by their tags and lengths only, counting what protobuf-c would
 * allocate, and stops at the first cap passed.  Three fixed levels, no
 * recursion into unknown fields (they are skipped whole and counted).
 */
struct rd {
  const uint8_t *p, *end;
};

struct counts {
  size_t series, labels, samples, other;
};

static int rd_varint(struct rd *r, uint64_t *v) {
  *v = 0;
  for(unsigned shift = 0; shift < 64 && r->p < r->end; shift += 7) {
    uint8_t b = *r->p++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if(!(b & 0x80))
      return 0;
  }
  return PW_EPARSE;
}

/* Reads a tag; for a length-delimited field, *sub is its contents. */
static int rd_field(struct rd *r, uint64_t *field, unsigned *wt,
                    struct rd *sub) {
  uint64_t tag, n;
  if(rd_varint(r, &tag))
    return PW_EPARSE;
  *field = tag >> 3;
  *wt = (unsigned)(tag & 7);
  if(*field == 0)
    return PW_EPARSE;
  switch(*wt) {
  case 0:
    return rd_varint(r, &n);
  case 1:
  case 5:
    n = *wt == 1 ? 8 : 4;
    break;
  case 2:
    if(rd_varint(r, &n))
      return PW_EPARSE;
    break;
  default:
    return PW_EPARSE;  /* groups (3, 4) and 6, 7: protobuf-c refuses */
  }
  if(n > (uint64_t)(r->end - r->p))
    return PW_EPARSE;
  sub->p = r->p;
  sub->end = r->p + n;
  r->p += n;
  return 0;
}

/* Counts one field protobuf-c keeps as unknown (it allocates a copy). */
static int count_other(struct counts *c, char *err, size_t errlen) {
  if(++c->other <= PB_MAX_OTHER)
    return 0;
  snprintf(err, errlen, "more than %d other fields (metadata, exemplars, "
           "histograms, unknown), the limit a request", PB_MAX_OTHER);
  return PW_ETOOBIG;
}

static int scan_label(struct rd r, struct counts *c, char *err,
                      size_t errlen) {
  while(r.p < r.end) {
    uint64_t f;
    unsigned wt;
    struct rd sub;
    if(rd_field(&r, &f, &wt, &sub))
      return PW_EPARSE;
    if(f == 1 || f == 2) {
      if(wt != 2)
        return PW_EPARSE;
      size_t n = (size_t)(sub.end - sub.p);
      if(n > PB_MAX_LABEL_LEN) {
        snprintf(err, errlen, "a label %s of %zu bytes, over the %d-byte "
                 "limit", f == 1 ? "name" : "value", n, PB_MAX_LABEL_LEN);
        return PW_ETOOBIG;
      }
    } else if(count_other(c, err, errlen)) {
      return PW_ETOOBIG;
    }
  }
  return 0;
}

static int scan_sample(struct rd r, struct counts *c, char *err,
                       size_t errlen) {
  while(r.p < r.end) {
    uint64_t f;
    unsigned wt;
    struct rd sub;
    if(rd_field(&r, &f, &wt, &sub))
      return PW_EPARSE;
    if((f == 1 && wt != 1) || (f == 2 && wt != 0))
      return PW_EPARSE;
    if(f > 2 && count_other(c, err, errlen))
      return PW_ETOOBIG;
  }
  return 0;
}

static int scan_series(struct rd r, struct counts *c, char *err,
                       size_t errlen) {
  size_t nl = 0;
  while(r.p < r.end) {
    uint64_t f;
    unsigned wt;
    struct rd sub;
    int rc;
    if(rd_field(&r, &f, &wt, &sub))
      return PW_EPARSE;
    if((f == 1 || f == 2) && wt != 2)
      return PW_EPARSE;
    if(f == 1) {
      if(++nl > PB_MAX_SERIES_LABELS || ++c->labels > PB_MAX_LABELS) {
        snprintf(err, errlen, "more than %d labels in a series or %d "
                 "labels in a request (the limits)", PB_MAX_SERIES_LABELS,
                 PB_MAX_LABELS);
        return PW_ETOOBIG;
      }
      if((rc = scan_label(sub, c, err, errlen)))
        return rc;
    } else if(f == 2) {
      if(++c->samples > PB_MAX_SAMPLES) {
        snprintf(err, errlen, "more than %d samples, the limit a request",
                 PB_MAX_SAMPLES);
        return PW_ETOOBIG;
      }
      if((rc = scan_sample(sub, c, err, errlen)))
        return rc;
    } else if(count_other(c, err, errlen)) {
      return PW_ETOOBIG;
    }
  }
  return 0;
}

/* 0, PW_ETOOBIG or PW_EPARSE, with err set. */
static int prescan(const uint8_t *p, size_t len, char *err, size_t errlen) {
  struct rd r = {p, p + len};
  struct counts c = {0};
  int rc = 0;
  while(r.p < r.end && rc == 0) {
    uint64_t f;
    unsigned wt;
    struct rd sub;
    if(rd_field(&r, &f, &wt, &sub) || (f == 1 && wt != 2)) {
      rc = PW_EPARSE;
    } else if(f == 1) {
      if(++c.series > PB_MAX_SERIES) {
        snprintf(err, errlen, "more than %d series, the limit a request",
                 PB_MAX_SERIES);
        return PW_ETOOBIG;
      }
      rc = scan_series(sub, &c, err, errlen);
    } else if(count_other(&c, err, errlen)) {
      return PW_ETOOBIG;
    }
  }
  if(rc == PW_EPARSE)
    snprintf(err, errlen, "not a protobuf WriteRequest (bad wire format)");
  return rc;
}

static int build_views(struct pb_write *w) {
  const Prometheus__WriteRequest *r = w->req;
  size_t nl = 0, ns = 0;
  for(size_t i = 0; i < r->n_timeseries; i++) {
    nl += r->timeseries[i]->n_labels;
    ns += r->timeseries[i]->n_samples;
  }
  w->series = pw_calloc(r->n_timeseries ? r->n_timeseries : 1,
                        sizeof(*w->series));
  w->labels = pw_calloc(nl ? nl : 1, sizeof(*w->labels));
  w->samples = pw_calloc(ns ? ns : 1, sizeof(*w->samples));
  if(!w->series || !w->labels || !w->samples)
    return PW_ENOMEM;
  nl = ns = 0;
  for(size_t i = 0; i < r->n_timeseries; i++) {
    const Prometheus__TimeSeries *t = r->timeseries[i];
    struct pb_series *s = &w->series[i];
    s->labels = w->labels + nl;
    s->nlabels = t->n_labels;
    s->samples = w->samples + ns;
    s->nsamples = t->n_samples;
    for(size_t k = 0; k < t->n_labels; k++)
      w->labels[nl++] = (struct pb_label){t->labels[k]->name,
                                          t->labels[k]->value};
    for(size_t k = 0; k < t->n_samples; k++)
      w->samples[ns++] = (struct pb_sample){t->samples[k]->value,
                                            t->samples[k]->timestamp};
  }
  return 0;
}

int pb_write_decode(const void *body, size_t len, size_t max_bytes,
                    struct pb_write **out, char *err, size_t errlen) {
  static const unsigned char framed[] = {0xff, 0x06, 0x00, 0x00, 's', 'N',
                                         'a', 'P', 'p', 'Y'};
  size_t ulen = 0;
  *out = NULL;
  if(len >= sizeof(framed) && memcmp(body, framed, sizeof(framed)) == 0) {
    snprintf(err, errlen, "snappy framed format; remote-write uses the "
             "block format");
    return PW_EPARSE;
  }
  if(snappy_uncompressed_length(body, len, &ulen) != SNAPPY_OK) {
    snprintf(err, errlen, "not a snappy block");
    return PW_EPARSE;
  }
  if(max_bytes > PB_MAX_DECODED)
    max_bytes = PB_MAX_DECODED;
  if(ulen > max_bytes) {
    snprintf(err, errlen, "declares %zu bytes uncompressed, over the "
             "%zu-byte limit", ulen, max_bytes);
    return PW_ETOOBIG;
  }
  char *raw = pw_malloc(ulen ? ulen : 1);
  if(!raw)
    return PW_ENOMEM;
  if(snappy_uncompress(body, len, raw, &ulen) != SNAPPY_OK) {
    pw_free(raw);
    snprintf(err, errlen, "a corrupt snappy block");
    return PW_EPARSE;
  }
  int rc = prescan((const uint8_t *)raw, ulen, err, errlen);
  if(rc) {
    pw_free(raw);
    return rc;
  }
  struct pb_write *w = pw_calloc(1, sizeof(*w));
  if(!w) {
    pw_free(raw);
    return PW_ENOMEM;
  }
  w->req = prometheus__write_request__unpack(&allocator, ulen,
                                             (const uint8_t *)raw);
  pw_free(raw);
  if(!w->req) {
    pw_free(w);
    snprintf(err, errlen, "not a protobuf WriteRequest");
    return PW_EPARSE;
  }
  rc = build_views(w);
  if(rc) {
    pb_write_free(&w);
    snprintf(err, errlen, "out of memory");
    return rc;
  }
  *out = w;
  return 0;
}

size_t pb_write_nseries(const struct pb_write *w) {
  return w->req->n_timeseries;
}

void pb_write_series(const struct pb_write *w, size_t i,
                     struct pb_series *out) {
  *out = w->series[i];
}

void pb_write_free(struct pb_write **wp) {
  struct pb_write *w = *wp;
  if(!w)
    return;
  if(w->req)
    prometheus__write_request__free_unpacked(w->req, &allocator);
  pw_free(w->series);
  pw_free(w->labels);
  pw_free(w->samples);
  pw_free(w);
  *wp = NULL;
}

int pb_write_encode(const struct pb_series *series, size_t n, void **out,
                    size_t *outlen) {
  Prometheus__WriteRequest req = PROMETHEUS__WRITE_REQUEST__INIT;
  size_t nl = 0, ns = 0;
  int rc = PW_ENOMEM;
  for(size_t i = 0; i < n; i++) {
    nl += series[i].nlabels;
    ns += series[i].nsamples;
  }
  Prometheus__TimeSeries *ts = pw_calloc(n ? n : 1, sizeof(*ts));
  Prometheus__TimeSeries **tsp = pw_calloc(n ? n : 1, sizeof(*tsp));
  Prometheus__Label *ls = pw_calloc(nl ? nl : 1, sizeof(*ls));
  Prometheus__Label **lsp = pw_calloc(nl ? nl : 1, sizeof(*lsp));
  Prometheus__Sample *ss = pw_calloc(ns ? ns : 1, sizeof(*ss));
  Prometheus__Sample **ssp = pw_calloc(ns ? ns : 1, sizeof(*ssp));
  uint8_t *packed = NULL;
  char *comp = NULL;
  *out = NULL;
  if(!ts || !tsp || !ls || !lsp || !ss || !ssp)
    goto done;
  nl = ns = 0;
  for(size_t i = 0; i < n; i++) {
    prometheus__time_series__init(&ts[i]);
    tsp[i] = &ts[i];
    ts[i].labels = lsp + nl;
    ts[i].n_labels = series[i].nlabels;
    ts[i].samples = ssp + ns;
    ts[i].n_samples = series[i].nsamples;
    for(size_t k = 0; k < series[i].nlabels; k++, nl++) {
      prometheus__label__init(&ls[nl]);
      ls[nl].name = (char *)(uintptr_t)series[i].labels[k].name;
      ls[nl].value = (char *)(uintptr_t)series[i].labels[k].value;
      lsp[nl] = &ls[nl];
    }
    for(size_t k = 0; k < series[i].nsamples; k++, ns++) {
      prometheus__sample__init(&ss[ns]);
      ss[ns].value = series[i].samples[k].value;
      ss[ns].timestamp = series[i].samples[k].ts_ms;
      ssp[ns] = &ss[ns];
    }
  }
  req.timeseries = tsp;
  req.n_timeseries = n;
  size_t plen = prometheus__write_request__get_packed_size(&req);
  packed = pw_malloc(plen ? plen : 1);
  size_t clen = snappy_max_compressed_length(plen);
  comp = pw_malloc(clen ? clen : 1);
  if(!packed || !comp)
    goto done;
  prometheus__write_request__pack(&req, packed);
  if(snappy_compress((const char *)packed, plen, comp, &clen) != SNAPPY_OK) {
    rc = PW_EIO;
    goto done;
  }
  *out = comp;
  *outlen = clen;
  comp = NULL;
  rc = 0;
done:
  pw_free(comp);
  pw_free(packed);
  pw_free(ssp);
  pw_free(ss);
  pw_free(lsp);
  pw_free(ls);
  pw_free(tsp);
  pw_free(ts);
  return rc;
}
