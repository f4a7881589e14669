/* Static pages: GET / (index.html) and GET /static/<file> from the web directory. The request
 * path is untrusted: names are limited to a plain alphabet with no dot-leading segments (so no
 * "..", no hidden files), the last component is opened without following symlinks, and the
 * resolved path must still lie inside the canonical web root. Files are read whole (capped) so
 * they get ETags like API replies. */
#include "server/http.h"
#include "rekap/status.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
    {".woff2", "font/woff2"},
};

static const char *content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

/* True for "a/b.css" style names: segments of [A-Za-z0-9._-], none empty or starting with '.'. */
static int safe_name(const char *rel)
{
    const char *seg = rel;
    for (const char *p = rel;; p++) {
        char ch = *p;
        if (ch == '/' || ch == '\0') {
            if (p == seg || *seg == '.') return 0;
            if (ch == '\0') return 1;
            seg = p + 1;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
}

static int serve(struct rk_req *req, const char *rel, const char *cache_control)
{
    const char *root = rk_server_web_dir(req->srv);
    if (!safe_name(rel))
        return rk_req_fail(req, RK_EINVAL, "bad file path", "jalur berkas tidak valid");
    if (!root[0])
        return rk_req_fail(req, RK_ENOTFOUND, "no web directory", "direktori web tidak ada");
    char path[PATH_MAX], real[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >= sizeof path) return RK_ENOTFOUND;
    size_t rootlen = strlen(root);
    /* A symlinked directory inside the root could still point outside it. */
    if (!realpath(path, real) || strncmp(real, root, rootlen) != 0 || real[rootlen] != '/')
        return rk_req_fail(req, RK_ENOTFOUND, "file not found", "berkas tidak ditemukan");
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return rk_req_fail(req, RK_ENOTFOUND, "file not found", "berkas tidak ditemukan");
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return rk_req_fail(req, RK_ENOTFOUND, "file not found", "berkas tidak ditemukan");
    }
    if ((uint64_t)st.st_size > RK_SERVER_STATIC_MAX) {
        close(fd);
        return rk_req_fail(req, RK_EFORBIDDEN, "file too large to serve",
                           "berkas terlalu besar untuk dikirim");
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return RK_ENOMEM;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (got != size) {
        free(buf);
        return RK_EIO;
    }
    rk_reply_take(req, 200, buf, size, content_type(rel), cache_control, 1);
    return RK_OK;
}

/* GET / : the landing page. no-cache so a new release shows at once (the ETag keeps it cheap). */
int rk_static_index(struct rk_req *req)
{
    return serve(req, "index.html", "no-cache");
}

/* GET /static/<file> */
int rk_static_file(struct rk_req *req)
{
    return serve(req, req->params[0], "public, max-age=300");
}

/* The app (first path segment: "kpps" or "console") a request under /kpps or /console is for;
 * the route table only sends those two prefixes here. */
static const char *app_of(const struct rk_req *req)
{
    return strncmp(req->path, "/kpps", 5) == 0 ? "kpps" : "console";
}

/* GET /kpps, /kpps/, /console, /console/ : the app's page. Pages use absolute URLs, so the bare
 * prefix works as well as the slashed one. */
int rk_static_app_index(struct rk_req *req)
{
    char rel[32];
    snprintf(rel, sizeof rel, "%s/index.html", app_of(req));
    return serve(req, rel, "no-cache");
}

/* GET /kpps/<file>, /console/<file>: no-cache, because the KPPS service worker keeps its own
 * copy for offline use and must see a new release at its next online start. */
int rk_static_app_file(struct rk_req *req)
{
    char rel[RK_ROUTE_PARAM_LEN + 16];
    snprintf(rel, sizeof rel, "%s/%s", app_of(req), req->params[0]);
    return serve(req, rel, "no-cache");
}
