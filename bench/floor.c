/* The floor: only the system work a session store cannot avoid, in C, single-threaded.
 *
 *   floor list ROOT REPS        readdir ROOT, then open/read/close every <entry>/session.json
 *                               (no parsing); prints one line per repetition: seconds
 *   floor create ROOT COUNT     per session: mkdir <root>/<name>, write a temp file, fsync it,
 *                               rename it to session.json, fsync the directory and the root
 *                               (the durability the store promises); prints seconds per create
 *   floor rewrite ROOT COUNT    per session: the write half of finalize (temp, fsync, rename,
 *                               fsync dir) over existing sessions; prints seconds per rewrite
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char RECORD[] =
    "{\n  \"id\": \"%s\",\n  \"started_at\": \"2026-05-01T13:44:12.123456789Z\",\n"
    "  \"container_name\": \"outrig-%s\",\n  \"image_tag\": \"localhost/outrig-coding:d8aa33\",\n"
    "  \"image_config_name\": \"coding\",\n  \"agent_name\": \"coder\",\n"
    "  \"working_dir\": \"/home/me/repo\",\n  \"session_dir\": \"%s/%s\"\n}";

static int list_once(const char *root, size_t *count) {
    DIR *d = opendir(root);
    if (!d) return -1;
    char path[4096];
    char buf[65536];
    struct dirent *e;
    *count = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (e->d_type != DT_DIR && e->d_type != DT_LNK) continue;
        snprintf(path, sizeof path, "%s/%s/session.json", root, e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0) {}
        close(fd);
        (*count)++;
    }
    closedir(d);
    return 0;
}

static int fsync_path(const char *p) {
    int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int write_record(const char *root, const char *name) {
    char dir[4096], tmp[4200], dst[4200], body[4096];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    snprintf(tmp, sizeof tmp, "%s/.session.json.XXXXXX", dir);
    snprintf(dst, sizeof dst, "%s/session.json", dir);
    int len = snprintf(body, sizeof body, RECORD, name, name, root, name);
    int fd = mkstemp(tmp);
    if (fd < 0) return -1;
    if (write(fd, body, (size_t)len) != len || fsync(fd) != 0) { close(fd); return -1; }
    close(fd);
    if (rename(tmp, dst) != 0) return -1;
    return fsync_path(dir);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: floor list|create|rewrite ROOT N\n");
        return 2;
    }
    const char *op = argv[1], *root = argv[2];
    long n = atol(argv[3]);
    if (strcmp(op, "list") == 0) {
        for (long r = 0; r < n; r++) {
            size_t count;
            double t0 = now();
            if (list_once(root, &count) != 0) { perror(root); return 1; }
            printf("%.9f %zu\n", now() - t0, count);
        }
        return 0;
    }
    int create = strcmp(op, "create") == 0;
    if (!create && strcmp(op, "rewrite") != 0) { fprintf(stderr, "unknown op %s\n", op); return 2; }
    if (create) mkdir(root, 0755);
    char name[64];
    for (long i = 0; i < n; i++) {
        snprintf(name, sizeof name, "20260501T134412-f%07ld", i);
        double t0 = now();
        if (create) {
            char dir[4096];
            snprintf(dir, sizeof dir, "%s/%s", root, name);
            if (mkdir(dir, 0755) != 0) { perror(dir); return 1; }
        }
        if (write_record(root, name) != 0) { perror(name); return 1; }
        if (create && fsync_path(root) != 0) { perror(root); return 1; }
        printf("%.9f\n", now() - t0);
    }
    return 0;
}
