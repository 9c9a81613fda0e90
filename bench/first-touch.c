// How long the first read of each page of a freshly mapped file takes on this machine (the cost a fresh
// `ggufc run` or llama-completion pays once for its weights), with and without MAP_POPULATE.
//   cc -O2 -o /tmp/first-touch bench/first-touch.c && /tmp/first-touch MODEL.gguf 0   # plain mmap
//   /tmp/first-touch MODEL.gguf 1                                                     # MAP_POPULATE
// Prints the mapping time, the first pass over every page (one byte each) and its minor page faults.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static long minor_faults(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_minflt;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: first-touch FILE 0|1\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[1]);
        return 1;
    }
    int populate = atoi(argv[2]) == 1;
    long f0 = minor_faults();
    double t0 = now();
    unsigned char *p = mmap(0, st.st_size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    long f1 = minor_faults();
    double t1 = now();
    long sum = 0;
    for (long i = 0; i < st.st_size; i += 4096) sum += p[i];
    double t2 = now();
    long f2 = minor_faults();
    printf("%s: %.0f MB, map%s %.3f s (%ld faults), first pass %.3f s (%ld faults) [%ld]\n", argv[1], st.st_size / 1e6,
           populate ? " with MAP_POPULATE" : "", t1 - t0, f1 - f0, t2 - t1, f2 - f1, sum);
    return 0;
}
