/* Test helpers: scratch directories and data-path lookup. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void rk_test_tmpdir(char *out, size_t cap)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, cap, "%s/rekap-test-XXXXXX", base && base[0] ? base : "/tmp");
    assert_non_null(mkdtemp(out));
}

void rk_test_rmtree(const char *dir)
{
    char cmd[4200];
    if (strncmp(dir, "/tmp/", 5) != 0 && !getenv("TMPDIR"))
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
}

const char *rk_test_data(const char *rel, char *buf, size_t cap)
{
    const char *root = getenv("REKAP_SHARED_DATA");
    if (!root || !root[0])
        root = REKAP_SHARED_DATA;
    snprintf(buf, cap, "%s/%s", root, rel);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

void rk_test_write_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t n = strlen(data);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}
