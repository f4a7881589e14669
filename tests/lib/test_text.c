/* rk_json_quote writes what jansson's compact dump writes for the same string: every ASCII
 * character alone (controls, quote, backslash, slash), multi-byte UTF-8, and random mixes. */
#include "testutil.h"
#include "rekap/text.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void same_as_jansson(const char *s)
{
    char mine[6 * 64 + 3];
    assert_true(strlen(s) <= 64);
    size_t n = rk_json_quote(mine, s);
    mine[n] = '\0';
    json_t *a = json_pack("[s]", s);
    assert_non_null(a);
    char *dump = json_dumps(a, JSON_COMPACT);
    size_t dl = strlen(dump); /* ["..."]: the string is dump[1 .. dl - 2] */
    dump[dl - 1] = '\0';
    if (strcmp(mine, dump + 1) != 0)
        fail_msg("rk_json_quote gives %s, jansson %s", mine, dump + 1);
    free(dump);
    json_decref(a);
}

static void test_every_ascii(void **state)
{
    (void)state;
    for (int c = 1; c < 128; c++) {
        char s[4] = {'a', (char)c, 'z', '\0'};
        same_as_jansson(s);
    }
    same_as_jansson("");
    same_as_jansson("Angka \"157\" terbaca 457 — saksi ✓ \\ / é");
}

static void test_random_mixes(void **state)
{
    (void)state;
    static const char *const piece[] = {"a", "Z", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f",
                                        "\x7f", "é", "—", "✓", "😀", " ", ",", "'"};
    unsigned seed = 20261207;
    for (int k = 0; k < 3000; k++) {
        char s[65] = "";
        int parts = (int)(rand_r(&seed) % 14);
        for (int i = 0; i < parts; i++)
            strcat(s, piece[rand_r(&seed) % (sizeof piece / sizeof *piece)]);
        same_as_jansson(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_ascii),
        cmocka_unit_test(test_random_mixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
