/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scope-bound cleanup so that error paths stay one line. */
#ifndef HUSK_CLEANUP_H
#define HUSK_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_free_fn(void *p)
{
    free(*(void **)p);
}

static inline void cleanup_close_fn(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

static inline void cleanup_file_fn(FILE **f)
{
    if (*f)
        fclose(*f);
}

static inline void cleanup_dir_fn(DIR **d)
{
    if (*d)
        closedir(*d);
}

#define cleanup_free  __attribute__((cleanup(cleanup_free_fn)))
#define cleanup_close __attribute__((cleanup(cleanup_close_fn)))
#define cleanup_file  __attribute__((cleanup(cleanup_file_fn)))
#define cleanup_dir   __attribute__((cleanup(cleanup_dir_fn)))

/* Hands ownership out of a cleanup variable. */
#define steal_pointer(pp)                                                                          \
    ({                                                                                             \
        __typeof__(*(pp)) stolen_ = *(pp);                                                         \
        *(pp) = NULL;                                                                              \
        stolen_;                                                                                   \
    })

#define steal_fd(fdp)                                                                              \
    ({                                                                                             \
        int stolen_fd_ = *(fdp);                                                                   \
        *(fdp) = -1;                                                                               \
        stolen_fd_;                                                                                \
    })

#endif
