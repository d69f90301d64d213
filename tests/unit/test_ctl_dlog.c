/*
 * The decision log under faults (issue #12 item 12): a full disk or a
 * file size limit leaves no torn record and reports the system's reason;
 * a deleted and recreated directory is written again without a SIGHUP;
 * new files are 0600 whatever the umask.
 */
#include <errno.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../controller/ctl_dlog.h"
#include "test_util.h"

static char reasons[1200];

static struct pb_decision decision(int64_t i) {
  /* About 1.2 kB a record, so that a full disk cuts one part-way. */
  if(!reasons[0]) {
    for(size_t j = 0; j + 1 < sizeof(reasons); j++)
      reasons[j] = j % 8 == 7 ? ',' : (char)('a' + j % 7);
  }
  struct pb_decision d = {"web", 1700000000000 + i * 60000, 42.5, i,
                          reasons, 40, 50, i, i, "ok", 1};
  return d;
}

/* Reads path as `prewarm log show` does: the number of records, and in
 * *end 1 at a clean end of file or the reader's error. */
static int read_all(const char *path, int *end) {
  char err[256];
  struct pw_buf out;
  FILE *fp = fopen(path, "rb");
  int n = 0, rc;
  assert_non_null(fp);
  pw_buf_init(&out, 4u << 20);
  while((rc = pb_decision_read_json(fp, &out, err, sizeof(err))) == 0) {
    n++;
    pw_buf_reset(&out);
  }
  pw_buf_cleanup(&out);
  fclose(fp);
  *end = rc;
  return n;
}

static void temp_dir(char *dir, size_t len) {
  const char *t = getenv("TMPDIR");
  snprintf(dir, len, "%s/dlogXXXXXX", t && *t ? t : "/tmp");
  assert_non_null(mkdtemp(dir));
}

static void files_are_0600_whatever_the_umask(void **state) {
  (void)state;
  char dir[256], path[300];
  struct ctl_dlog *l = NULL;
  struct stat st;
  char err[256];
  temp_dir(dir, sizeof(dir));
  snprintf(path, sizeof(path), "%s/d.log", dir);
  mode_t old = umask(0);
  int rc = ctl_dlog_open(path, 0, 0, &l, err, sizeof(err));
  umask(old);
  ASSERT_OK(rc);
  ASSERT_OK(stat(path, &st));
  assert_int_equal(st.st_mode & 0777, 0600);
  ctl_dlog_close(&l);
  unlink(path);
  old = umask(0377);  /* not even the owner could write */
  rc = ctl_dlog_open(path, 0, 0, &l, err, sizeof(err));
  umask(old);
  ASSERT_OK(rc);
  ASSERT_OK(stat(path, &st));
  assert_int_equal(st.st_mode & 0777, 0600);
  struct pb_decision d = decision(1);
  ASSERT_OK(ctl_dlog_write(l, &d));
  ctl_dlog_close(&l);
  unlink(path);
  rmdir(dir);
}

/*
 * Fills the log until a write fails; checks the file holds exactly the
 * records written, whole, and returns how many.  want is the code the
 * failure must return, reason the system's text it must carry.
 */
static int fill_until_failure(struct ctl_dlog *l, const char *path, int want,
                              const char *reason) {
  int written = 0, rc = 0, end;
  for(int i = 0; i < 100000 && rc == 0; i++) {
    struct pb_decision d = decision(i);
    rc = ctl_dlog_write(l, &d);
    written += rc == 0;
  }
  assert_int_equal(rc, want);
  if(!strstr(ctl_dlog_last_error(l), reason))
    fail_msg("last error '%s' lacks '%s'", ctl_dlog_last_error(l), reason);
  assert_non_null(strstr(ctl_dlog_last_error(l), path));
  assert_int_equal(ctl_dlog_failures(l), 1);
  assert_int_equal(ctl_dlog_failing(l), 1);
  assert_true(written > 0);
  assert_int_equal(read_all(path, &end), written);
  assert_int_equal(end, 1);  /* a clean end: no torn record */
  return written;
}

/* The tmpfs mounted, unmounted by the teardown even when a test fails. */
static char mounted[256];

static int unmount(void **state) {
  (void)state;
  if(mounted[0]) {
    (void)umount2(mounted, MNT_DETACH);
    (void)rmdir(mounted);
    mounted[0] = '\0';
  }
  return 0;
}

static void disk_full_leaves_whole_records(void **state) {
  (void)state;
  char dir[256], path[300], filler[300], err[256];
  struct ctl_dlog *l = NULL;
  int end;
  temp_dir(dir, sizeof(dir));
  if(mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
    int e = errno;
    rmdir(dir);
    printf("# skip: cannot mount a 64 kB tmpfs (%s); the file size limit "
           "test covers the cut\n", strerror(e));
    skip();
  }
  snprintf(mounted, sizeof(mounted), "%s", dir);
  snprintf(path, sizeof(path), "%s/d.log", dir);
  snprintf(filler, sizeof(filler), "%s/filler", dir);
  FILE *f = fopen(filler, "wb");
  assert_non_null(f);
  static char block[16384];
  assert_int_equal(fwrite(block, 1, sizeof(block), f), sizeof(block));
  fclose(f);
  ASSERT_OK(ctl_dlog_open(path, 0, 0, &l, err, sizeof(err)));
  ctl_dlog_set_retry_ms(l, 0);
  int written = fill_until_failure(l, path, PW_ENOSPC,
                                   "No space left on device");
  assert_string_equal(pw_strerror(PW_ENOSPC), "no space left on device");
  /* Still full: lost again, counted again, the file still whole. */
  struct pb_decision d = decision(written);
  assert_int_equal(ctl_dlog_write(l, &d), PW_ENOSPC);
  assert_int_equal(ctl_dlog_failures(l), 2);
  assert_int_equal(read_all(path, &end), written);
  assert_int_equal(end, 1);
  /* Room again: the next record follows the last whole one. */
  ASSERT_OK(unlink(filler));
  ASSERT_OK(ctl_dlog_write(l, &d));
  assert_int_equal(ctl_dlog_failing(l), 0);
  assert_int_equal(ctl_dlog_failures(l), 2);
  assert_int_equal(read_all(path, &end), written + 1);
  assert_int_equal(end, 1);
  ctl_dlog_close(&l);
}

/* RLIMIT_FSIZE, with SIGXFSZ ignored, makes a write past the limit fail
 * part-way with EFBIG: in a child, which reports through its status. */
static void file_size_limit_leaves_whole_records(void **state) {
  (void)state;
  char dir[256], path[300], err[256];
  temp_dir(dir, sizeof(dir));
  snprintf(path, sizeof(path), "%s/d.log", dir);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if(pid == 0) {
    struct ctl_dlog *l = NULL;
    struct rlimit rl = {10000, 10000};
    signal(SIGXFSZ, SIG_IGN);
    if(setrlimit(RLIMIT_FSIZE, &rl) != 0 ||
       ctl_dlog_open(path, 0, 0, &l, err, sizeof(err)) != 0)
      _exit(3);
    int written = 0, rc = 0, end;
    for(int i = 0; i < 1000 && rc == 0; i++) {
      struct pb_decision d = decision(i);
      rc = ctl_dlog_write(l, &d);
      written += rc == 0;
    }
    if(rc != PW_EIO || !strstr(ctl_dlog_last_error(l), "File too large") ||
       ctl_dlog_failures(l) != 1)
      _exit(4);
    if(read_all(path, &end) != written || end != 1)
      _exit(5);
    ctl_dlog_close(&l);
    _exit(0);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  unlink(path);
  rmdir(dir);
}

static void deleted_directory_is_written_again(void **state) {
  (void)state;
  char dir[256], path[300], err[256];
  struct ctl_dlog *l = NULL;
  struct stat st;
  int end;
  temp_dir(dir, sizeof(dir));
  snprintf(path, sizeof(path), "%s/d.log", dir);
  ASSERT_OK(ctl_dlog_open(path, 0, 0, &l, err, sizeof(err)));
  ctl_dlog_set_retry_ms(l, 0);
  struct pb_decision d = decision(1);
  ASSERT_OK(ctl_dlog_write(l, &d));
  /* The directory goes: the record is lost, counted, and says why. */
  ASSERT_OK(unlink(path));
  ASSERT_OK(rmdir(dir));
  assert_int_equal(ctl_dlog_write(l, &d), PW_EIO);
  assert_non_null(strstr(ctl_dlog_last_error(l), "No such file"));
  assert_int_equal(ctl_dlog_failures(l), 1);
  /* It comes back: the log is written again, no reload needed. */
  ASSERT_OK(mkdir(dir, 0700));
  ASSERT_OK(ctl_dlog_write(l, &d));
  assert_int_equal(ctl_dlog_failing(l), 0);
  ASSERT_OK(ctl_dlog_write(l, &d));
  assert_int_equal(read_all(path, &end), 2);
  assert_int_equal(end, 1);
  ASSERT_OK(stat(path, &st));
  assert_int_equal(st.st_mode & 0777, 0600);
  /* Deleted and made again between two writes: the new one is found. */
  ASSERT_OK(unlink(path));
  ASSERT_OK(rmdir(dir));
  ASSERT_OK(mkdir(dir, 0700));
  ASSERT_OK(ctl_dlog_write(l, &d));
  assert_int_equal(read_all(path, &end), 1);
  ctl_dlog_close(&l);
  unlink(path);
  rmdir(dir);
}

/* The default: the path is checked at most every CTL_DLOG_RETRY_MS. */
static void retry_waits_by_default(void **state) {
  (void)state;
  char dir[256], path[300], err[256];
  struct ctl_dlog *l = NULL;
  temp_dir(dir, sizeof(dir));
  snprintf(path, sizeof(path), "%s/d.log", dir);
  ASSERT_OK(ctl_dlog_open(path, 0, 0, &l, err, sizeof(err)));
  struct pb_decision d = decision(1);
  ASSERT_OK(unlink(path));
  /* Within the interval: no stat, no reopen; the write goes to the
   * open file as before. */
  ASSERT_OK(ctl_dlog_write(l, &d));
  assert_int_equal(access(path, F_OK), -1);
  ctl_dlog_close(&l);
  assert_null(l);
  ctl_dlog_close(&l);  /* NULL is a no-op */
  assert_int_equal(ctl_dlog_failures(NULL), 0);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(files_are_0600_whatever_the_umask),
    cmocka_unit_test_teardown(disk_full_leaves_whole_records, unmount),
    cmocka_unit_test(file_size_limit_leaves_whole_records),
    cmocka_unit_test(deleted_directory_is_written_again),
    cmocka_unit_test(retry_waits_by_default),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
