/* launcher: run a command as an outrig session.
 *
 *     launcher [--root DIR] [--name CONTAINER] [--image TAG] [--agent NAME] -- COMMAND [ARG...]
 *
 * Opens the session store (DIR, or outrig's own root when --root is not given), creates a
 * session for the current directory, runs COMMAND with its stdout and stderr captured into the
 * session's logs/launcher.log (and passed through to this terminal), then finalizes the
 * session with the code outrig records: the command's exit code, or 128 + N when signal N
 * killed it (outrig_exit_code_from_wait_status). Prints the session id and directory, and
 * exits with that code.
 *
 * While the command runs, the session handle from outrig_store_create holds the session's
 * lease: `outrig ls` and every other process see it running, and nobody's clean or remove
 * takes it away. The lease is this process's (its descriptor is close-on-exec, so the command
 * does not inherit it): if the launcher dies, the kernel drops it and the session shows as
 * abandoned. Finalizing by id from this process goes through the lease and ends it.
 *
 * Build (after `make install`):
 *     cc -std=c11 -Wall -Wextra launcher.c $(pkg-config --cflags --libs outrig) -o launcher
 */
#define _POSIX_C_SOURCE 200809L

#include <outrig.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit status when the launcher itself fails before the command ran. */
#define LAUNCHER_FAILED 125
/* Exit status when the command could not be started (as a shell reports it). */
#define COMMAND_NOT_RUN 127

static void usage(void) {
    fprintf(stderr,
            "usage: launcher [--root DIR] [--name CONTAINER] [--image TAG] [--agent NAME] "
            "-- COMMAND [ARG...]\n");
}

/* Reports a failed library call with its status and message. */
static void report(const char *what, outrig_status status) {
    fprintf(stderr, "launcher: %s: %s: %s\n", what, outrig_status_name(status),
            outrig_last_error_message());
}

/* Writes all of buf to fd, retrying short writes; false on error. */
static int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return 0;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 1;
}

/* Runs argv with stdout and stderr into a pipe that is copied to the log and to stdout.
 * Returns the code to record: outrig_exit_code_from_wait_status of the command's wait status
 * (its exit code, or 128 + signal), or COMMAND_NOT_RUN. */
static int run_command(char **argv, int log_fd) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        fprintf(stderr, "launcher: pipe: %s\n", strerror(errno));
        return COMMAND_NOT_RUN;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "launcher: fork: %s\n", strerror(errno));
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return COMMAND_NOT_RUN;
    }
    if (pid == 0) {
        close(pipe_fds[0]);
        close(log_fd);
        dup2(pipe_fds[1], STDOUT_FILENO);
        dup2(pipe_fds[1], STDERR_FILENO);
        close(pipe_fds[1]);
        execvp(argv[0], argv);
        /* Goes to the log like any other output of the command. */
        fprintf(stderr, "launcher: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(COMMAND_NOT_RUN);
    }
    close(pipe_fds[1]);
    char buf[4096];
    for (;;) {
        ssize_t n = read(pipe_fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        if (!write_all(log_fd, buf, (size_t)n)) {
            fprintf(stderr, "launcher: writing the log: %s\n", strerror(errno));
        }
        write_all(STDOUT_FILENO, buf, (size_t)n);
    }
    close(pipe_fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "launcher: waitpid: %s\n", strerror(errno));
            return COMMAND_NOT_RUN;
        }
    }
    return outrig_exit_code_from_wait_status(status);
}

int main(int argc, char **argv) {
    const char *root = NULL;
    const char *name = "outrig-launcher";
    const char *image = "localhost/outrig-launcher:latest";
    const char *agent = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        const char **slot = strcmp(argv[i], "--root") == 0    ? &root
                            : strcmp(argv[i], "--name") == 0  ? &name
                            : strcmp(argv[i], "--image") == 0 ? &image
                            : strcmp(argv[i], "--agent") == 0 ? &agent
                                                              : NULL;
        if (slot == NULL || i + 1 >= argc) {
            usage();
            return LAUNCHER_FAILED;
        }
        *slot = argv[++i];
    }
    if (i >= argc) {
        usage();
        return LAUNCHER_FAILED;
    }
    char **command = &argv[i];

    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL) {
        fprintf(stderr, "launcher: getcwd: %s\n", strerror(errno));
        return LAUNCHER_FAILED;
    }

    /* Open the store and create the session. */
    outrig_store *store = NULL;
    outrig_status st = outrig_store_open(root, &store);
    if (st != OUTRIG_OK) {
        report("opening the session store", st);
        return LAUNCHER_FAILED;
    }
    outrig_spec *spec = outrig_spec_new();
    if ((st = outrig_spec_set_container_name(spec, name)) != OUTRIG_OK ||
        (st = outrig_spec_set_image_tag(spec, image)) != OUTRIG_OK ||
        (st = outrig_spec_set_working_dir(spec, cwd)) != OUTRIG_OK ||
        (st = outrig_spec_set_agent_name(spec, agent ? agent : command[0])) != OUTRIG_OK) {
        report("describing the session", st);
        outrig_spec_free(spec);
        outrig_store_free(store);
        return LAUNCHER_FAILED;
    }
    outrig_session *session = NULL;
    st = outrig_store_create(store, spec, &session);
    outrig_spec_free(spec);
    if (st != OUTRIG_OK) {
        report("creating the session", st);
        outrig_store_free(store);
        return LAUNCHER_FAILED;
    }
    const char *id = outrig_session_id(session);
    fprintf(stderr, "launcher: session %s\nlauncher: dir     %s\n", id,
            outrig_session_session_dir(session));

    /* Open its log (the library hands out the open file: O_APPEND, close-on-exec), run the
     * command into it, and finalize with the command's code. */
    int code = COMMAND_NOT_RUN;
    int log_fd = -1;
    st = outrig_store_append_log(store, id, "launcher.log", &log_fd);
    if (st != OUTRIG_OK) {
        report("opening the log", st);
    } else {
        dprintf(log_fd, "# launcher: running");
        for (char **arg = command; *arg; arg++) {
            dprintf(log_fd, " %s", *arg);
        }
        dprintf(log_fd, " in %s\n", cwd);
        code = run_command(command, log_fd);
        dprintf(log_fd, "# launcher: exit status %d\n", code);
        close(log_fd);
        fprintf(stderr, "launcher: log     %s/launcher.log\n", outrig_session_logs_dir(session));
    }

    /* Through this process's lease, which it ends; the handle stays readable until freed.
     * (Freeing it unfinalized would give up the lease and leave the session abandoned.) */
    st = outrig_store_finalize(store, id, code);
    if (st != OUTRIG_OK) {
        report("finalizing the session", st);
    }
    fprintf(stderr, "launcher: exit    %d\n", code);
    outrig_session_free(session);
    outrig_store_free(store);
    return st == OUTRIG_OK ? code : LAUNCHER_FAILED;
}
