/*
 * cfg_target_equal(), which decides what a reload keeps: equal for the
 * same text, and unequal after a change to any one key of any section.
 */
#include "../../config/cfg.h"
#include "test_util.h"

static const char base[] =
  "targets:\n"
  "- name: a\n"
  "  step: 60s\n"
  "  lag: 5s\n"
  "  source:\n"
  "    prometheus: {url: 'http://127.0.0.1:9090', query: up, "
  "bearer_token_file: /t, ca_file: /ca}\n"
  "  actuator:\n"
  "    kubernetes: {mode: replicas, kind: deployment, namespace: shop, "
  "name: web}\n"
  "  forecast: {history: 7d, period: auto, model: hw, refit: 1h}\n"
  "  policy:\n"
  "    unit_capacity: 100\n"
  "    warmup: 120s\n"
  "    quantile: 0.95\n"
  "    headroom: 0.1\n"
  "    floor_utilization: 0.8\n"
  "    min: 1\n"
  "    max: 50\n"
  "    budget_instance_hours: 100\n"
  "    stabilization: 300s\n"
  "    surge_ratio: 1.5\n"
  "    surge_factor: 3\n"
  "    surge_hold: 30m\n"
  "    schedule: [{start: '2026-11-27T08:00:00Z', "
  "end: '2026-11-28T08:00:00Z', min: 20}]\n"
  "- name: b\n"
  "  step: 60s\n"
  "  source: {remote_write: {metric: m, labels: {a: '1', b: '2'}, "
  "counter: true}}\n"
  "  actuator: {lambda: {function: f, qualifier: live}}\n"
  "  policy: {unit_capacity: 1, warmup: 60s, max: 9, duration_ms: 250}\n"
  "- name: c\n"
  "  step: 60s\n"
  "  source: {demo: {days: 21, seed: 3}}\n"
  "  actuator: {dryrun: {}}\n"
  "  policy: {unit_capacity: 1, warmup: 60s, max: 9}\n";

static struct cfg *load(const char *text) {
  char path[256];
  struct pw_buf errors;
  struct cfg *c = NULL;
  write_temp(path, sizeof(path), text);
  pw_buf_init(&errors, 1 << 16);
  int rc = cfg_load(path, &c, &errors);
  if(rc)
    fail_msg("%s", pw_buf_str(&errors));
  pw_buf_cleanup(&errors);
  unlink(path);
  return c;
}

/* base with the first occurrence of from replaced by to. */
static struct cfg *load_changed(const char *from, const char *to) {
  char text[4096];
  const char *at = strstr(base, from);
  assert_non_null(at);
  size_t pre = (size_t)(at - base);
  snprintf(text, sizeof(text), "%.*s%s%s", (int)pre, base, to,
           at + strlen(from));
  return load(text);
}

static void same_text_is_equal(void **state) {
  (void)state;
  struct cfg *x = load(base), *y = load(base);
  assert_int_equal(x->ntargets, 3);
  for(size_t i = 0; i < 3; i++)
    assert_true(cfg_target_equal(&x->targets[i], &y->targets[i]));
  assert_false(cfg_target_equal(&x->targets[0], &y->targets[1]));
  cfg_free(&x);
  cfg_free(&y);
}

static void any_one_change_is_not(void **state) {
  (void)state;
  static const struct {
    const char *from, *to;
    int target;
  } edits[] = {
    {"step: 60s\n  lag", "step: 30s\n  lag", 0},
    {"lag: 5s", "lag: 6s", 0},
    {"127.0.0.1:9090", "127.0.0.1:9091", 0},
    {"query: up", "query: up2", 0},
    {"bearer_token_file: /t", "bearer_token_file: /u", 0},
    {"ca_file: /ca", "ca_file: /cb", 0},
    {"mode: replicas", "mode: hpa-min-replicas", 0},
    {"kind: deployment", "kind: statefulset", 0},
    {"namespace: shop", "namespace: shop2", 0},
    {"name: web", "name: web2", 0},
    {"history: 7d", "history: 8d", 0},
    {"period: auto", "period: 1440", 0},
    {"model: hw", "model: hw-damped", 0},
    {"refit: 1h", "refit: 2h", 0},
    {"unit_capacity: 100", "unit_capacity: 101", 0},
    {"warmup: 120s", "warmup: 121s", 0},
    {"quantile: 0.95", "quantile: 0.9", 0},
    {"headroom: 0.1", "headroom: 0.2", 0},
    {"floor_utilization: 0.8", "floor_utilization: 0.7", 0},
    {"min: 1\n", "min: 2\n", 0},
    {"max: 50", "max: 51", 0},
    {"budget_instance_hours: 100", "budget_instance_hours: 99", 0},
    {"stabilization: 300s", "stabilization: 301s", 0},
    {"28T08:00:00Z", "28T09:00:00Z", 0},
    {"surge_ratio: 1.5", "surge_ratio: 2", 0},
    {"surge_factor: 3", "surge_factor: 4", 0},
    {"surge_hold: 30m", "surge_hold: 31m", 0},
    {"min: 20", "min: 21", 0},
    {"metric: m", "metric: n", 1},
    {"b: '2'", "b: '3'", 1},
    {"b: '2'}", "b: '2', c: '3'}", 1},
    {"counter: true", "counter: false", 1},
    {"function: f", "function: g", 1},
    {"qualifier: live", "qualifier: prod", 1},
    {"duration_ms: 250", "duration_ms: 251", 1},
    {"days: 21", "days: 22", 2},
    {"seed: 3", "seed: 4", 2},
    {"demo: {days: 21, seed: 3}", "csv: {file: x.csv}", 2},
    {"dryrun: {}", "kubernetes: {mode: replicas, name: c}", 2},
  };
  struct cfg *x = load(base);
  for(size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
    struct cfg *y = load_changed(edits[i].from, edits[i].to);
    int t = edits[i].target;
    if(cfg_target_equal(&x->targets[t], &y->targets[t]))
      fail_msg("equal after %s -> %s", edits[i].from, edits[i].to);
    for(int o = 0; o < 3; o++)  /* the other targets are untouched */
      if(o != t)
        assert_true(cfg_target_equal(&x->targets[o], &y->targets[o]));
    cfg_free(&y);
  }
  cfg_free(&x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(same_text_is_equal),
    cmocka_unit_test(any_one_change_is_not),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
