/* The rekap command's subcommands. Each takes the arguments after its own name (argv[0] is the
 * subcommand name) and returns a process exit code: 0 success, 1 failure, 2 usage error. */
#ifndef REKAP_CLI_H
#define REKAP_CLI_H

#include <stdio.h>

struct rk_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary; /* one line, Bahasa Indonesia / English */
};

/* The table of subcommands, terminated by a NULL name (cli/commands.c). */
extern const struct rk_command rk_commands[];

/* Default store location when --db is not given: $REKAP_DB or "rekap.db". */
const char *rk_cli_default_db(void);

/* Prints "rekap: <what>: <English> / <Indonesian>" for a status to stderr. */
void rk_cli_error(const char *what, int status);

/* Who an operator's change is logged as (the actor of its transparency-log entry): given, when
 * not NULL, must be 1..RK_CLI_ACTOR_MAX bytes of [A-Za-z0-9._@+-] (RK_EINVAL otherwise); by
 * default "cli@<unix user>", other characters of the user name replaced by '_'. The '@' keeps it
 * apart from every account name (accounts are [a-z0-9._-]). */
#define RK_CLI_ACTOR_MAX 64
int rk_cli_actor(const char *given, char out[RK_CLI_ACTOR_MAX + 1]);

int rk_cmd_import_regions(int argc, char **argv);
int rk_cmd_import_tps(int argc, char **argv);
int rk_cmd_import_candidates(int argc, char **argv);
int rk_cmd_demo(int argc, char **argv);
int rk_cmd_serve(int argc, char **argv);
int rk_cmd_stats(int argc, char **argv);
int rk_cmd_check_kpu(int argc, char **argv);
int rk_cmd_user(int argc, char **argv);
int rk_cmd_form(int argc, char **argv);
int rk_cmd_dhasil(int argc, char **argv);
int rk_cmd_digits(int argc, char **argv);
int rk_cmd_verify(int argc, char **argv);
int rk_cmd_audit(int argc, char **argv);
int rk_cmd_export(int argc, char **argv);
int rk_cmd_verify_snapshot(int argc, char **argv);
int rk_cmd_read(int argc, char **argv);

#endif
