/* Fuzz target: what the auditor's and verifier's HTTP client makes of a server's answer, the
 * bytes of a lying or broken server (cli/http.c: status line, headers, Content-Length, chunked
 * bodies), and then of a published device key in it (cli/httpsrc.c). Besides not crashing: a
 * parsed body is NUL-terminated, within the cap and no longer than the input; a parsed device
 * has NUL-terminated fields and a log index of -1 or more. */
#include "cli/http.h"
#include "cli/httpsrc.h"
#include "rekap/status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    int status;
    char *body;
    size_t len;
    if (rk_http_response_parse(buf, size, &status, &body, &len) == RK_OK) {
        if (status < 100 || status > 599 || len > size || len > RK_HTTP_BODY_MAX || body[len])
            __builtin_trap();
        struct rk_audit_device d;
        if (rk_http_src_parse_device(body, len, &d) == RK_OK &&
            (d.log_index < -1 || memchr(d.owner, 0, sizeof d.owner) == NULL ||
             memchr(d.key_id, 0, sizeof d.key_id) == NULL ||
             memchr(d.scope, 0, sizeof d.scope) == NULL))
            __builtin_trap();
        free(body);
    }
    free(buf);
    return 0;
}
