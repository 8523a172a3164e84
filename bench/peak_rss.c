/* Runs a command and writes its peak resident set size (KiB) and its CPU time (user + system,
 * seconds) to a file, for `make bench`.
 *
 *   peak_rss FILE CMD [ARG...]
 *
 * The command's output passes through and its exit status is this program's. Why not wait4 from
 * bench/run.py itself: a child that Python starts inherits, until it execs, the peak RSS of the
 * Python process it was cloned from, and the kernel reports that when it is the larger. This
 * program is small, so what it reports is the command's own.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: peak_rss FILE CMD [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 2; }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (wait4(pid, &status, 0, &usage) < 0) { perror("wait4"); return 2; }
    FILE *out = fopen(argv[1], "w");
    if (!out) { perror(argv[1]); return 2; }
    double cpu = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                 (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    fprintf(out, "%ld %.6f\n", usage.ru_maxrss, cpu);
    fclose(out);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
