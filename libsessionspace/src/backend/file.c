/* Read-only whole-file mappings shared by the file backends. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"

ss_status ss_file_map(const char *path, ss_file *f, ss_error *err)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (!path || !*path)
        return ss_fail(err, SS_E_INVALID_ARG, "empty file name");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        ss_status st = e == ENOENT || e == ENOTDIR ? SS_E_NOT_FOUND : e == EISDIR ? SS_E_IS_DIR : SS_E_IO;
        return ss_fail(err, st, "%s: cannot open: %s", path, strerror(e));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return ss_fail(err, SS_E_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return ss_fail(err, SS_E_IS_DIR, "%s: is a directory, not a memory image", path);
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return ss_fail(err, SS_E_UNSUPPORTED, "%s: not a regular file", path);
    }
    if (sb.st_size == 0) {
        close(fd);
        return ss_fail(err, SS_E_EMPTY, "%s: file is empty", path);
    }
    /* A 32-bit host cannot map a file of 4 GiB or more: the size_t length would
     * be truncated while f->size keeps the whole size, and reads would run past
     * the mapping. */
    if ((uint64_t)sb.st_size > (uint64_t)SIZE_MAX) {
        close(fd);
        return ss_fail(err, SS_E_UNSUPPORTED, "%s: %lld bytes cannot be mapped by this %zu-bit build", path,
                       (long long)sb.st_size, sizeof(size_t) * 8);
    }
    /* MAP_SHARED so that a file another process keeps writing (a live VM's RAM
     * file) is seen as it changes; we never write through the mapping. */
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        close(fd);
        return ss_fail(err, e == ENOMEM ? SS_E_NOMEM : SS_E_IO, "%s: cannot map %lld bytes: %s", path,
                       (long long)sb.st_size, strerror(e));
    }
    char *copy = strdup(path);
    if (!copy) {
        munmap(p, (size_t)sb.st_size);
        close(fd);
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    }
    f->path = copy;
    f->fd = fd;
    f->data = p;
    f->size = (uint64_t)sb.st_size;
    return SS_OK;
}

void ss_file_unmap(ss_file *f)
{
    if (!f)
        return;
    if (f->data)
        munmap((void *)f->data, (size_t)f->size);
    if (f->fd >= 0)
        close(f->fd);
    free((void *)f->path);
    memset(f, 0, sizeof *f);
    f->fd = -1;
}
