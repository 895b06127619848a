/*
 * replay_main.c - runs a libFuzzer target over files without libFuzzer.
 *
 * `make test` builds every fuzz target with this driver (gcc, ASan+UBSan) and
 * feeds it the target's committed corpus, so a crash found once by `make fuzz`
 * and added to the corpus stays fixed. Usage: <target> FILE_OR_DIR...
 * Exits non-zero if an argument cannot be read or no input was run.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (4u * 1024 * 1024)

static int replay_file(const char *path, long *count)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    uint8_t *data = malloc(REPLAY_MAX_INPUT);
    if (!data) {
        fclose(f);
        return -1;
    }
    size_t n = fread(data, 1, REPLAY_MAX_INPUT, f);
    fclose(f);
    /* An exact-size copy so ASan catches reads one past the input. */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(data);
        return -1;
    }
    memcpy(exact, data, n);
    free(data);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    (*count)++;
    return 0;
}

static int replay_path(const char *path, long *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path, count);
    DIR *dir = opendir(path);
    if (!dir) {
        perror(path);
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        rc = replay_path(sub, count);
    }
    closedir(dir);
    return rc;
}

int main(int argc, char **argv)
{
    long count = 0;
    for (int i = 1; i < argc; i++)
        if (replay_path(argv[i], &count) != 0)
            return 1;
    printf("replayed %ld inputs\n", count);
    return count > 0 ? 0 : 1;
}
