/* Read-only whole-file mappings shared by the file backends. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"

void ss_short_path(char *out, size_t cap, const char *path)
{
    size_t n = strlen(path);
    if (cap == 0)
        return;
    if (n < cap) {
        memcpy(out, path, n + 1);
        return;
    }
    if (cap < 8) { /* no room for "..." and both ends */
        memcpy(out, path, cap - 1);
        out[cap - 1] = 0;
        return;
    }
    /* Keep both ends (the start says where, the end says which file), "..." between. */
    size_t keep = cap - 4, head = keep / 2, tail = keep - head;
    memcpy(out, path, head);
    memcpy(out + head, "...", 3);
    memcpy(out + head + 3, path + n - tail, tail + 1);
}

const char *ss_escape_bytes(char *out, size_t cap, const void *bytes, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *b = bytes;
    size_t o = 0;
    if (cap == 0)
        return out;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = b[i];
        bool plain = c >= 0x20 && c < 0x7f && c != '\\' && c != '\'' && c != '"';
        if (o + (plain ? 1 : 4) >= cap)
            break;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = 0;
    return out;
}

ss_status ss_file_map(const char *path_in, uint32_t flags, ss_file *f, ss_error *err)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (!path_in || !*path_in)
        return ss_fail(err, SS_E_INVALID_ARG, "empty file name");
    /* Messages name the file by a shortened path so that the reason always fits. */
    char path[SS_SHORT_PATH];
    ss_short_path(path, sizeof path, path_in);
    /*
     * O_NONBLOCK: opening a FIFO for reading blocks until a writer appears (and a
     * character device may block too), so the path is opened without blocking and
     * looked at before anything reads it. O_NONBLOCK has no effect on regular files
     * and block devices, and is cleared again below all the same.
     */
    int fd = open(path_in, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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
    if (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode)) {
        const char *what = S_ISFIFO(sb.st_mode)   ? "a FIFO (named pipe)"
                           : S_ISCHR(sb.st_mode)  ? "a character device"
                           : S_ISSOCK(sb.st_mode) ? "a socket"
                                                  : "not a regular file";
        close(fd);
        return ss_fail(err, SS_E_UNSUPPORTED,
                       "%s: is %s; a memory image must be a regular file or a block device (it is mapped "
                       "and read at any offset)",
                       path, what);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        return ss_fail(err, SS_E_IO, "%s: cannot clear O_NONBLOCK: %s", path, strerror(e));
    }
    if (S_ISBLK(sb.st_mode)) { /* st_size is 0 for block devices: their size is where they end */
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0) {
            int e = errno;
            close(fd);
            return ss_fail(err, SS_E_IO, "%s: cannot find the size of the block device: %s", path,
                           strerror(e));
        }
        sb.st_size = end;
        sb.st_blocks = 0; /* unknown: the whole size counts as stored */
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
    char *copy = strdup(path); /* the short name: the descriptor is what reads the file */
    if (!copy) {
        munmap(p, (size_t)sb.st_size);
        close(fd);
        return ss_fail(err, SS_E_NOMEM, "out of memory");
    }
    f->path = copy;
    f->fd = fd;
    f->data = p;
    f->size = (uint64_t)sb.st_size;
    /* st_blocks counts 512-byte units (POSIX leaves the unit open; every Unix this
     * builds on uses 512). 0 says nothing (some file systems): count the whole size. */
    uint64_t stored = (uint64_t)sb.st_blocks * 512u;
    f->stored = stored && stored < f->size ? stored : f->size;
    f->pread = (flags & SS_OPEN_PREAD) != 0;
    return SS_OK;
}

void ss_file_settle(ss_file *f)
{
    if (f->pread && f->data) {
        munmap((void *)f->data, (size_t)f->size);
        f->data = NULL;
    }
}

ss_status ss_file_copy(const ss_file *f, uint64_t off, void *buf, size_t len)
{
    if (f->data) {
        if (off > f->size || len > f->size - off)
            return SS_E_TRUNCATED;
        memcpy(buf, f->data + off, len);
        return SS_OK;
    }
    uint8_t *out = buf;
    while (len) {
        if (off > (uint64_t)INT64_MAX)
            return SS_E_TRUNCATED;
        ssize_t n = pread(f->fd, out, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return SS_E_IO;
        }
        if (n == 0) /* end of file: it was longer when it was opened */
            return SS_E_TRUNCATED;
        out += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
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
