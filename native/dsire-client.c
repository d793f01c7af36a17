/*
 * dsire-client: the launcher's native fast path to the resident dsire process (docs/daemon.md).
 *
 * It does one thing: when a resident process of this user, jar, folder and identity is already listening,
 * send it the command line and replay its stdout, stderr and exit code. Anything else -- no resident
 * process, a stale one, a folder or socket that is not exactly right, a file list on standard input, a
 * `dsire daemon ...` control call -- exits before writing a byte: 124 where it is certain that no resident
 * process of this identity listens (the launcher then runs the command in process, and that process stays on
 * as the resident one), else 125, and the launcher hands the call to the Java client
 * (dev.dsire.daemon.DaemonClient), which replaces or controls resident processes, or runs the command in
 * process. So this file holds no policy of its own beyond "answer or step aside".
 *
 * The protocol is Frames.java's: request = int MAGIC, string identity, bool stdout-is-tty,
 * bool stderr-is-tty, int argc, argc strings (string = int length + UTF-8 bytes; ints big-endian, booleans
 * one byte); answer = frames of byte kind (1 OUT, 2 ERR: int length + bytes; 3 EXIT: int code; 4 REFUSED:
 * int 0).
 *
 * The socket path and identity are Endpoint.java's, computed here from the same inputs (the jar's real
 * path, size and modification time, the working folder, the Java runtime's real path, the ENV list). The
 * resident process also writes its identity beside its socket (dKEY.id); this client talks to it only when
 * that file holds exactly the identity computed here. Should this code ever drift from Endpoint.java (a
 * variable added to ENV, a path spelt differently), the result is a call through the Java client, never a
 * refused request that would make the resident process exit on every call.
 *
 * Usage (the launcher's): dsire-client JAR JAVA_HOME ARGS...
 *         dsire-client --endpoint JAR JAVA_HOME   prints the socket path and the identity (tests)
 * DSIRE_CLIENT_DEBUG=1 says on stderr why it stepped aside.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FALL_BACK 125
#define NONE 124 /* DaemonClient.NONE */
#define MAGIC 0x64534931u
enum { OUT = 1, ERR = 2, EXIT = 3, REFUSED = 4 };

/* Endpoint.ENV, in order */
static const char *const ENV[] = {"DSIRE_CUDA_DEVICE", "CUDA_HOME", "CUDA_PATH", "CUDA_VISIBLE_DEVICES",
    "LD_LIBRARY_PATH", "XDG_CACHE_HOME", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "TZ",
    "DSIRE_JAVA_OPTS", "DSIRE_AOT"};

static int debug;

/* Nothing printed yet: exit with code (FALL_BACK: the launcher runs the Java client; NONE: see none_listens). */
static void step_aside(int code, const char *then, const char *fmt, va_list ap) {
    if (debug) {
        fputs("dsire-client: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputs(then, stderr);
    }
    exit(code);
}

static void fall_back(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    step_aside(FALL_BACK, "; the Java client takes the call\n", fmt, ap);
}

/* Nothing printed yet and no resident process listens for this identity: the launcher runs the command in
   process, and that process stays on as the resident one. Only where that is certain (the folder, the
   identity file or the socket is missing, or nothing listens on it): every doubt goes to the Java client. */
static void none_listens(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    step_aside(NONE, "; the launcher answers in process and stays on\n", fmt, ap);
}

/* ---- a growable byte buffer ---- */
typedef struct { char *p; size_t n, cap; } buf;

static void put(buf *b, const void *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) fall_back("out of memory");
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }
static void put_int(buf *b, uint32_t v) {
    unsigned char x[4] = {v >> 24, v >> 16, v >> 8, v};
    put(b, x, 4);
}
static void put_string(buf *b, const char *s, size_t n) {
    if (n > (64u << 20)) fall_back("an argument longer than the protocol allows");
    put_int(b, (uint32_t) n);
    put(b, s, n);
}

/* ---- SHA-256 (FIPS 180-4), for the socket's name ---- */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64], a, b, c, d, e, f, g, k;
    for (int i = 0; i < 16; i++) w[i] = (uint32_t) p[4 * i] << 24 | p[4 * i + 1] << 16 | p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void sha256_hex(const unsigned char *m, size_t n, char hex[65]) {
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    unsigned char last[128] = {0};
    size_t full = n / 64 * 64, rest = n - full, tail = rest < 56 ? 64 : 128;
    for (size_t i = 0; i < full; i += 64) sha256_block(h, m + i);
    memcpy(last, m + full, rest);
    last[rest] = 0x80;
    uint64_t bits = (uint64_t) n * 8;
    for (int i = 0; i < 8; i++) last[tail - 1 - i] = (unsigned char) (bits >> (8 * i));
    for (size_t i = 0; i < tail; i += 64) sha256_block(h, last + i);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", h[i]);
}

/* ---- paths as java.nio spells them ---- */

/* Path.of(...).toString() on Linux: repeated slashes collapsed, a trailing slash dropped. */
static void put_path(buf *b, const char *s) {
    size_t start = b->n;
    for (; *s; s++) {
        if (*s == '/' && b->n > start && b->p[b->n - 1] == '/') continue;
        put(b, s, 1);
    }
    if (b->n > start + 1 && b->p[b->n - 1] == '/') b->p[--b->n] = 0;
}

static int blank(const char *s) {
    for (; *s; s++)
        if (!(*s == ' ' || (*s >= '\t' && *s <= '\r') || (*s >= 0x1c && *s <= 0x1f))) return 0;
    return 1;
}

/* Endpoint.runtimeDir: $XDG_RUNTIME_DIR/dsire, else user.home/.cache/dsire/run */
static void runtime_dir(buf *b) {
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    if (xdg && !blank(xdg) && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode)) {
        put_path(b, xdg);
        puts_(b, b->p[b->n - 1] == '/' ? "dsire" : "/dsire"); /* Path.of("/", "dsire") is /dsire */
        return;
    }
    /* user.home: the password entry's folder, $HOME where that is shorter than two characters */
    struct passwd *pw = getpwuid(getuid());
    const char *home = pw ? pw->pw_dir : NULL;
    if (!home || !home[0] || !home[1]) {
        const char *env = getenv("HOME");
        if (env && env[0]) home = env;
    }
    if (!home || home[0] != '/') fall_back("no home folder");
    put_path(b, home);
    puts_(b, b->p[b->n - 1] == '/' ? ".cache/dsire/run" : "/.cache/dsire/run");
}

/* Strict UTF-8 (no overlong forms, no surrogates): what Java decodes and encodes back to the same bytes. */
static int utf8(const unsigned char *s) {
    while (*s) {
        unsigned c = *s, n, min;
        uint32_t v;
        if (c < 0x80) { s++; continue; }
        if ((c & 0xe0) == 0xc0) n = 1, v = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0) n = 2, v = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0) n = 3, v = c & 0x07, min = 0x10000;
        else return 0;
        for (unsigned i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80) return 0;
            v = v << 6 | (s[i] & 0x3f);
        }
        if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
        s += n + 1;
    }
    return 1;
}

static int ascii(const char *s) {
    for (; *s; s++)
        if ((unsigned char) *s >= 0x80) return 0;
    return 1;
}

/* ---- I/O that survives EINTR and short transfers ---- */
static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

static int sock = -1;
static unsigned char rbuf[1 << 16];
static size_t rpos, rlen;

/* The next n bytes of the answer; -1 at end of stream or on an error. */
static int read_n(unsigned char *dst, size_t n) {
    while (n > 0) {
        if (rpos == rlen) {
            ssize_t r = read(sock, rbuf, sizeof rbuf);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return -1;
            rpos = 0;
            rlen = (size_t) r;
        }
        size_t k = rlen - rpos < n ? rlen - rpos : n;
        memcpy(dst, rbuf + rpos, k);
        rpos += k;
        dst += k;
        n -= k;
    }
    return 0;
}

static int read_int(int32_t *v) {
    unsigned char x[4];
    if (read_n(x, 4)) return -1;
    *v = (int32_t) ((uint32_t) x[0] << 24 | (uint32_t) x[1] << 16 | (uint32_t) x[2] << 8 | x[3]);
    return 0;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) && errno == EINTR) {}
}

int main(int argc, char **argv) {
    debug = getenv("DSIRE_CLIENT_DEBUG") && strcmp(getenv("DSIRE_CLIENT_DEBUG"), "1") == 0;
    /* a closed socket or pipe is an error code from write, not a signal that kills us mid-answer */
    signal(SIGPIPE, SIG_IGN);
    int endpoint_only = argc > 1 && strcmp(argv[1], "--endpoint") == 0;
    if (endpoint_only) argv++, argc--;
    if (argc < 3) fall_back("usage: dsire-client JAR JAVA_HOME ARGS...");
    char **args = argv + 3;
    int nargs = argc - 3;

    int non_ascii = 0;
    for (int i = 0; i < nargs; i++) {
        size_t n = strlen(args[i]);
        if (strcmp(args[i], "-") == 0 || (n >= 2 && strcmp(args[i] + n - 2, "=-") == 0))
            fall_back("a file list on standard input"); /* the command reads it in process */
        non_ascii |= !ascii(args[i]);
    }
    if (nargs == 2 && strcmp(args[0], "daemon") == 0) fall_back("dsire daemon %s", args[1]);
    if (non_ascii) {
        /* Java decodes arguments in the locale's charset: the bytes travel unchanged only under UTF-8 */
        setlocale(LC_ALL, "");
        if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0) fall_back("non-ASCII arguments outside a UTF-8 locale");
        for (int i = 0; i < nargs; i++)
            if (!utf8((const unsigned char *) args[i])) fall_back("an argument that is not UTF-8");
    }

    /* ---- Endpoint.ofThisProcess ---- */
    char jar[PATH_MAX], java[PATH_MAX], cwd[PATH_MAX];
    struct stat st;
    /* the class path entry as the JVM records it: the real path */
    if (!realpath(argv[1], jar) || stat(jar, &st) != 0) fall_back("no jar at %s", argv[1]);
    if (!realpath(argv[2], java)) fall_back("no Java runtime at %s", argv[2]); /* java.home: the real path */
    if (!getcwd(cwd, sizeof cwd)) fall_back("no working folder");
    buf id = {0};
    char num[64];
    puts_(&id, "jar=");
    puts_(&id, jar);
    snprintf(num, sizeof num, " size=%lld mtime=%lld", (long long) st.st_size,
             (long long) st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
    puts_(&id, num);
    puts_(&id, " cwd=");
    puts_(&id, cwd);
    puts_(&id, " java=");
    puts_(&id, java);
    for (size_t i = 0; i < sizeof ENV / sizeof *ENV; i++) {
        const char *v = getenv(ENV[i]);
        puts_(&id, " ");
        puts_(&id, ENV[i]);
        puts_(&id, "=");
        puts_(&id, v ? v : "");
    }
    buf key = {0};
    puts_(&key, jar);
    put(&key, "", 1);
    puts_(&key, cwd);
    char hex[65];
    sha256_hex((const unsigned char *) key.p, key.n, hex);
    buf dir = {0};
    runtime_dir(&dir);
    buf sockpath = {0}, idpath = {0};
    put(&sockpath, dir.p, dir.n);
    puts_(&sockpath, "/d");
    put(&sockpath, hex, 20);
    put(&idpath, sockpath.p, sockpath.n);
    puts_(&sockpath, ".sock");
    puts_(&idpath, ".id");
    if (endpoint_only) {
        printf("%s\n%s\n", sockpath.p, id.p);
        return 0;
    }
    if (!ascii(id.p) && !utf8((const unsigned char *) id.p)) fall_back("an identity that is not UTF-8");

    /* ---- only this user's folder, socket and process ---- */
    uid_t uid = getuid();
    if (lstat(dir.p, &st) != 0 && errno == ENOENT) none_listens("no folder %s yet", dir.p);
    if (lstat(dir.p, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 0777) != 0700)
        fall_back("%s is not a folder of this user's alone", dir.p);
    /* the resident process's identity, written beside its socket: talk to it only when it is ours */
    int fd = open(idpath.p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) none_listens("no resident process (%s)", idpath.p);
    if (fd < 0) fall_back("cannot read %s", idpath.p);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != uid || (size_t) st.st_size != id.n)
        fall_back("the resident process has another identity");
    char *theirs = malloc(id.n + 1);
    size_t got = 0;
    while (theirs && got < id.n) {
        ssize_t r = read(fd, theirs + got, id.n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t) r;
    }
    close(fd);
    if (!theirs || got != id.n || memcmp(theirs, id.p, id.n) != 0) fall_back("the resident process has another identity");
    free(theirs);
    if (lstat(sockpath.p, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_uid != uid)
        fall_back("%s is not this user's socket", sockpath.p);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (sockpath.n >= sizeof addr.sun_path) fall_back("socket path too long");
    memcpy(addr.sun_path, sockpath.p, sockpath.n + 1);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) fall_back("socket: %s", strerror(errno));
    int rc;
    while ((rc = connect(sock, (struct sockaddr *) &addr, sizeof addr)) != 0 && errno == EINTR) {}
    if (rc != 0 && (errno == ECONNREFUSED || errno == ENOENT)) none_listens("nothing listens on %s", sockpath.p);
    if (rc != 0 && errno != EISCONN) fall_back("connect: %s", strerror(errno));
    struct ucred peer;
    socklen_t plen = sizeof peer;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &peer, &plen) != 0 || peer.uid != uid)
        fall_back("the process on the socket is not this user's");

    /* ---- the request, in one write ---- */
    buf req = {0};
    put_int(&req, MAGIC);
    put_string(&req, id.p, id.n);
    unsigned char tty[2] = {isatty(1) ? 1 : 0, isatty(2) ? 1 : 0};
    put(&req, tty, 2);
    put_int(&req, (uint32_t) nargs);
    for (int i = 0; i < nargs; i++) put_string(&req, args[i], strlen(args[i]));
    if (write_all(sock, req.p, req.n)) fall_back("send: %s", strerror(errno));

    /* ---- the answer: frames copied to stdout and stderr as they come ---- */
    int printed = 0, dead[3] = {0, 0, 0};
    static unsigned char chunk[1 << 16];
    for (;;) {
        unsigned char kind;
        int32_t n;
        if (read_n(&kind, 1) || read_int(&n)) break;
        if (kind == OUT || kind == ERR) {
            if (n < 0) break;
            int out = kind == OUT ? 1 : 2;
            while (n > 0) {
                size_t k = (size_t) n < sizeof chunk ? (size_t) n : sizeof chunk;
                if (read_n(chunk, k)) goto lost;
                printed = 1;
                /* a closed stdout (`| head`) is ignored as the in-process command's PrintWriter ignores it */
                if (!dead[out] && write_all(out, (const char *) chunk, k)) dead[out] = 1;
                n -= (int32_t) k;
            }
        } else if (kind == EXIT) {
            return n;
        } else if (kind == REFUSED && !printed) {
            /* a stale resident process (another jar or environment) leaves; the Java client starts a fresh one */
            for (int i = 0; i < 500 && lstat(sockpath.p, &st) == 0; i++) sleep_ms(10);
            if (lstat(sockpath.p, &st) != 0 && errno == ENOENT) none_listens("refused by a resident process of another identity, which left");
            fall_back("refused: the resident process has another identity");
        } else {
            break;
        }
    }
lost:
    if (!printed) fall_back("the resident process closed the connection");
    static const char msg[] = "dsire: the resident process stopped before the command finished;"
                              " run with DSIRE_DAEMON=0 to run it in process\n";
    write_all(2, msg, sizeof msg - 1);
    return 3;
}
