/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cache of compiled seccomp programs: STATE_ROOT/.seccomp~cache/<sha256>.bpf. Compiling
 * a large profile with libseccomp costs several milliseconds, more than the rest of a
 * container start; the program only depends on the profile, the libseccomp version and
 * the architecture, which make the key (seccomp_profile_hash). The directory name holds
 * '~', which no container id may hold, so `list` and `delete` never take it for a
 * container. Entries are written atomically (rename), 0600, and checked on every read: a
 * damaged or foreign entry is a miss and is compiled again.
 *
 * Entry layout: "HUSKBPF1", the instruction count (u32, native order), 4 zero bytes, the
 * 32-byte key, then the instructions (struct sock_filter, native order).
 */
#include "seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define CACHE_MAGIC   "HUSKBPF1"
#define CACHE_HEADER  (8 + 4 + 4 + HUSK_SHA256_LEN)
#define BPF_MAX_INSNS 4096 /* BPF_MAXINSNS: the kernel's limit for a classic program */

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------------------------ */

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror32(uint32_t x, unsigned int n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha256_block(husk_sha256 *s, const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
    uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) +
                      sha256_k[i] + w[i];
        uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
    s->h[5] += f;
    s->h[6] += g;
    s->h[7] += h;
}

void husk_sha256_init(husk_sha256 *s)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, iv, sizeof iv);
    s->len = 0;
    s->used = 0;
}

void husk_sha256_update(husk_sha256 *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    s->len += len;
    if (s->used) {
        size_t take = 64 - s->used < len ? 64 - s->used : len;
        memcpy(s->buf + s->used, p, take);
        s->used += take;
        p += take;
        len -= take;
        if (s->used < 64)
            return;
        sha256_block(s, s->buf);
        s->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        sha256_block(s, p);
    memcpy(s->buf, p, len);
    s->used = len;
}

void husk_sha256_final(husk_sha256 *s, uint8_t out[HUSK_SHA256_LEN])
{
    uint64_t bits = s->len * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (s->used < 56 ? 56 : 120) - s->used;
    for (int i = 0; i < 8; i++)
        pad[padlen + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    husk_sha256_update(s, pad, padlen + 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

/* ---- the cache --------------------------------------------------------------------------- */

static void entry_name(const uint8_t hash[HUSK_SHA256_LEN], char name[HUSK_SHA256_LEN * 2 + 5])
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < HUSK_SHA256_LEN; i++) {
        name[2 * i] = hex[hash[i] >> 4];
        name[2 * i + 1] = hex[hash[i] & 15];
    }
    memcpy(name + HUSK_SHA256_LEN * 2, ".bpf", 5);
}

int seccomp_cache_open(const char *state_root, husk_error_t *err)
{
    cleanup_close int rootfd = open(state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return husk_error_errno(err, "open state root %s", state_root);
    if (mkdirat(rootfd, SECCOMP_CACHE_DIR, 0700) < 0 && errno != EEXIST)
        return husk_error_errno(err, "create %s/%s", state_root, SECCOMP_CACHE_DIR);
    int fd = openat(rootfd, SECCOMP_CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return husk_error_errno(err, "open %s/%s", state_root, SECCOMP_CACHE_DIR);
    /* The programs are trusted as they are: only our own private directory will do. */
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
        close(fd);
        return husk_error_set(err, EPERM, "%s/%s is not a private directory of uid %u", state_root,
                              SECCOMP_CACHE_DIR, (unsigned)geteuid());
    }
    return fd;
}

int seccomp_cache_lookup(int cachefd, const uint8_t hash[HUSK_SHA256_LEN],
                         struct sock_filter **insns, size_t *n_insns)
{
    char name[HUSK_SHA256_LEN * 2 + 5];
    entry_name(hash, name);
    cleanup_close int fd = openat(cachefd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        st.st_size <= CACHE_HEADER ||
        st.st_size > CACHE_HEADER + BPF_MAX_INSNS * (off_t)sizeof(struct sock_filter))
        return 0;
    size_t size = (size_t)st.st_size;
    cleanup_free uint8_t *buf = malloc(size);
    if (!buf)
        return 0;
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        got += (size_t)r;
    }
    uint32_t count;
    memcpy(&count, buf + 8, sizeof count);
    if (memcmp(buf, CACHE_MAGIC, 8) != 0 || memcmp(buf + 16, hash, HUSK_SHA256_LEN) != 0 ||
        count == 0 || size != CACHE_HEADER + (size_t)count * sizeof(struct sock_filter))
        return 0;
    struct sock_filter *prog = malloc((size_t)count * sizeof *prog);
    if (!prog)
        return 0;
    memcpy(prog, buf + CACHE_HEADER, (size_t)count * sizeof *prog);
    *insns = prog;
    *n_insns = count;
    return 1;
}

int seccomp_cache_store(int cachefd, const uint8_t hash[HUSK_SHA256_LEN],
                        const struct sock_filter *insns, size_t n_insns, husk_error_t *err)
{
    if (n_insns == 0 || n_insns > BPF_MAX_INSNS)
        return husk_error_set(err, E2BIG, "a program of %zu instructions is not cached", n_insns);
    size_t size = CACHE_HEADER + n_insns * sizeof *insns;
    cleanup_free uint8_t *buf = calloc(1, size);
    if (!buf)
        return husk_error_set(err, ENOMEM, "seccomp cache entry");
    uint32_t count = (uint32_t)n_insns;
    memcpy(buf, CACHE_MAGIC, 8);
    memcpy(buf + 8, &count, sizeof count);
    memcpy(buf + 16, hash, HUSK_SHA256_LEN);
    memcpy(buf + CACHE_HEADER, insns, n_insns * sizeof *insns);
    char name[HUSK_SHA256_LEN * 2 + 5];
    entry_name(hash, name);
    return fs_write_atomic_at(cachefd, name, buf, size, 0600, err);
}
