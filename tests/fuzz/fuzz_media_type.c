/*
 * fuzz_media_type.c: libFuzzer target for rt_media_parse and
 * optml_media_param.  The input is a Content-Type / Accept value; a few
 * parameter names are looked up in what it parses to, and the input is also
 * used directly as parameter text.
 */
#include <stdlib.h>
#include <string.h>

#include "core/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = malloc(size + 1);
    if (!header)
        return 0;
    memcpy(header, data, size);
    header[size] = 0;
    static const char *const names[] = {"charset", "label_size", "q", "x", "CHARSET"};
    char type[128], buf[16];
    const char *params = NULL;
    if (rt_media_parse(header, type, sizeof(type), &params) == 0) {
        if (!type[0] || !strchr(type, '/') || !params || params < header || params > header + size)
            abort();
        struct optml_media m = {type, params};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (optml_media_param(&m, names[i], buf, sizeof(buf)) && strlen(buf) >= sizeof(buf))
                abort();
    }
    struct optml_media raw = {"a/b", header};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        (void)optml_media_param(&raw, names[i], buf, sizeof(buf));
        (void)optml_media_param(&raw, names[i], buf, 1);
        (void)optml_media_param(&raw, names[i], NULL, 0);
    }
    free(header);
    return 0;
}
