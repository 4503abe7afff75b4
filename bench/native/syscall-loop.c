// syscall-loop: one syscall in a tight loop, timed. The policy benchmark runs it with no policy
// and with policies hooked on that syscall; ns per call with a policy / without is the hook's
// cost. C and a single thread, so the loop itself adds next to nothing to the syscall.
// Timed twice: the thread's CPU time (the hook runs in the syscall, so it is in there, while
// other load on a shared machine is not) and wall time.
//   syscall-loop getpid N   getpid() N times
//   syscall-loop read N      read() of 1 byte from /dev/zero N times (a file argument to walk)
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 3 || (strcmp(argv[1], "getpid") && strcmp(argv[1], "read"))) {
    fprintf(stderr, "usage: syscall-loop getpid|read N\n");
    return 2;
  }
  long n = atol(argv[2]);
  int is_read = !strcmp(argv[1], "read");
  int fd = is_read ? open("/dev/zero", O_RDONLY) : -1;
  if (is_read && fd < 0) {
    perror("syscall-loop: /dev/zero");
    return 1;
  }
  char byte;
  double start = now(CLOCK_MONOTONIC), cpu_start = now(CLOCK_THREAD_CPUTIME_ID);
  if (is_read) {
    for (long i = 0; i < n; i++)
      if (read(fd, &byte, 1) != 1) {
        perror("syscall-loop: read");
        return 1;
      }
  } else {
    // syscall(): older glibc cached getpid() and would skip the kernel.
    for (long i = 0; i < n; i++) syscall(SYS_getpid);
  }
  double cpu = now(CLOCK_THREAD_CPUTIME_ID) - cpu_start, secs = now(CLOCK_MONOTONIC) - start;
  printf("{\"calls\":%ld,\"seconds\":%.6f,\"nsPerCall\":%.2f,\"cpuNsPerCall\":%.2f}\n", n, secs, secs * 1e9 / n,
         cpu * 1e9 / n);
  return 0;
}
