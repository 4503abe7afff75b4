// execloop: fork+exec a binary N times, as fast as this machine allows, across W workers.
// The exec rate it prints (with no agent, with Vigil, with execsnoop) is what the capture
// benchmark compares. C, so the generator itself costs as little as possible.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run(long n, const char *bin) {
  char *argv[] = {(char *)bin, NULL};
  char *envp[] = {NULL};
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      execve(bin, argv, envp);
      _exit(127);
    }
    if (pid < 0 || waitpid(pid, NULL, 0) < 0) {
      perror("execloop");
      exit(1);
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: execloop N WORKERS [BINARY]\n");
    return 2;
  }
  long n = atol(argv[1]);
  int workers = atoi(argv[2]);
  const char *bin = argc > 3 ? argv[3] : "/bin/true";
  double start = now();
  for (int w = 0; w < workers; w++) {
    if (fork() == 0) {
      run(n / workers + (w < n % workers ? 1 : 0), bin);
      _exit(0);
    }
  }
  int status, failed = 0;
  while (wait(&status) > 0) failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  double secs = now() - start;
  printf("{\"execs\":%ld,\"seconds\":%.6f,\"rate\":%.1f}\n", n, secs, n / secs);
  return failed;
}
