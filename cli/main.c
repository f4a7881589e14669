/* rekap: the single command-line entry point; dispatches to a subcommand. */
#include "cli/cli.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "rekap %s — rekapitulasi suara terbuka dan dapat diverifikasi\n\n"
               "Pemakaian / usage: rekap <perintah> [opsi]   (rekap <perintah> --help)\n\n",
            REKAP_VERSION);
    for (const struct rk_command *c = rk_commands; c->name; c++)
        fprintf(f, "  %-18s %s\n", c->name, c->summary);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("rekap %s\n", REKAP_VERSION);
        return 0;
    }
    for (const struct rk_command *c = rk_commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "rekap: perintah tidak dikenal / unknown command: %s\n\n", argv[1]);
    usage(stderr);
    return 2;
}
