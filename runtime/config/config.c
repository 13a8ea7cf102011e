/*
 * config.c: the configuration files of <base>/input/config other than
 * hyperparameters.json: inputdataconfig.json (channels), resourceconfig.json
 * (hosts) and checkpointconfig.json (LocalPath), the channel discovery used
 * when inputdataconfig.json is missing, and the helpers every config reader
 * shares (whole-file read with a size cap, read-then-parse with a missing
 * file handed on as NULL, JSON object load with messages that name the file,
 * line and column).
 */
#define _GNU_SOURCE
#include "config/config.h"
#include "core/file_read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/media.h"

#define INPUT_FILE "inputdataconfig.json"
#define RESOURCE_FILE "resourceconfig.json"
#define CHECKPOINT_FILE "checkpointconfig.json"

/* ------------------------------------------------------------------------ */
/* Shared helpers                                                           */
/* ------------------------------------------------------------------------ */

const char *rt_json_kind(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int is_blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t\r\n", text[i]) || text[i] == 0)
            return 0;
    return 1;
}

optml_status rt_config_load_object(optml_ctx *ctx, const char *file, const char *text,
                                   size_t len, json_t **out)
{
    *out = NULL;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 BOM */
        text += 3;
        len -= 3;
    }
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return optml_error(ctx, OPTML_E_CLIENT, "%s: invalid JSON at line %d, column %d: %s",
                           file, err.line, err.column, err.text);
    if (!json_is_object(root)) {
        optml_status st = optml_error(ctx, OPTML_E_CLIENT,
                                      "%s: the top level must be a JSON object, got %s",
                                      file, rt_json_kind(root));
        json_decref(root);
        return st;
    }
    *out = root;
    return OPTML_OK;
}

/* Find `name` in dir ignoring case: exact match first, else the smallest
 * matching entry in byte order.  Returns a malloc'd entry name, or NULL with
 * errno set (ENOENT when there is none). */
static char *find_any_case(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char *best = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcasecmp(e->d_name, name) != 0)
            continue;
        if (strcmp(e->d_name, name) == 0 || !best || strcmp(e->d_name, best) < 0) {
            char *copy = strdup(e->d_name);
            if (!copy) {
                free(best);
                closedir(d);
                errno = ENOMEM;
                return NULL;
            }
            free(best);
            best = copy;
            if (strcmp(best, name) == 0)
                break;
        }
    }
    closedir(d);
    if (!best)
        errno = ENOENT;
    return best;
}

/* Read an open regular file to the end, at most RT_CONFIG_MAX_BYTES. */
optml_status rt_config_read_file(optml_ctx *ctx, const char *dir, const char *name,
                                 int any_case, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    char *entry = NULL, *path = NULL;
    optml_status st = OPTML_OK;
    if (any_case) {
        entry = find_any_case(dir, name);
        if (!entry) {
            if (errno == ENOMEM)
                return optml_error(ctx, OPTML_E_NOMEM, "%s: out of memory", name);
            if (errno == ENOENT || errno == ENOTDIR)
                return OPTML_E_NOT_FOUND;
            return optml_error(ctx, OPTML_E_IO, "cannot list %s: %s", dir, strerror(errno));
        }
    }
    const char *shown = entry ? entry : name;
    if (asprintf(&path, "%s/%s", dir, shown) < 0) {
        path = NULL;
        st = optml_error(ctx, OPTML_E_NOMEM, "%s: out of memory", name);
        goto out;
    }
    st = rt_read_whole_file(ctx, path, shown, RT_CONFIG_MAX_BYTES, text, len);
out:
    free(path);
    free(entry);
    return st;
}

optml_status rt_config_load_file(optml_ctx *ctx, const char *dir, const char *name, int any_case,
                                 rt_config_parser parse, void *arg)
{
    char *text = NULL;
    size_t len = 0;
    optml_status st = rt_config_read_file(ctx, dir, name, any_case, &text, &len);
    if (st == OPTML_E_NOT_FOUND)
        st = parse(ctx, NULL, 0, arg);
    else if (st == OPTML_OK)
        st = parse(ctx, text, len, arg);
    free(text);
    return st;
}

/* ------------------------------------------------------------------------ */
/* inputdataconfig.json                                                     */
/* ------------------------------------------------------------------------ */

void rt_input_config_free(struct rt_input_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->channels[i].name);
        free(c->channels[i].content_type);
    }
    free(c->channels);
    memset(c, 0, sizeof(*c));
}

static int cmp_channels(const void *a, const void *b)
{
    const struct rt_channel_config *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* A channel name becomes a directory (and FIFO prefix) under input/data. */
static int valid_channel_name(const char *name)
{
    return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* One enumerated field: *index = position of the (case-insensitively)
 * matching choice; absent or null leaves *index alone. */
static optml_status enum_field(optml_ctx *ctx, const char *channel, const json_t *obj,
                               const char *field, const char *const *choices, int *index)
{
    const json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return OPTML_OK;
    char accepted[256] = "";
    for (size_t i = 0; choices[i]; i++) {
        if (json_is_string(v) && strcasecmp(json_string_value(v), choices[i]) == 0) {
            *index = (int)i;
            return OPTML_OK;
        }
        snprintf(accepted + strlen(accepted), sizeof(accepted) - strlen(accepted), "%s%s",
                 i ? ", " : "", choices[i]);
    }
    if (!json_is_string(v))
        return optml_error(ctx, OPTML_E_CLIENT,
                           INPUT_FILE ": channel '%s': %s must be a string (one of %s), got %s",
                           channel, field, accepted, rt_json_kind(v));
    return optml_error(ctx, OPTML_E_CLIENT,
                       INPUT_FILE ": channel '%s': %s '%.256s' is not one of %s",
                       channel, field, json_string_value(v), accepted);
}

static optml_status content_type_field(optml_ctx *ctx, const char *channel, const json_t *obj,
                                       char **out)
{
    const json_t *v = json_object_get(obj, "ContentType");
    if (!v || json_is_null(v))
        return OPTML_OK;
    if (!json_is_string(v))
        return optml_error(ctx, OPTML_E_CLIENT,
                           INPUT_FILE ": channel '%s': ContentType must be a string, got %s",
                           channel, rt_json_kind(v));
    const char *s = json_string_value(v);
    if (is_blank(s, strlen(s)))
        return OPTML_OK;
    char type[256];
    if (rt_media_parse(s, type, sizeof(type), NULL) != 0)
        return optml_error(ctx, OPTML_E_CLIENT,
                           INPUT_FILE ": channel '%s': ContentType '%.256s' is not a media type "
                           "(type/subtype, e.g. text/csv)", channel, s);
    *out = strdup(type);
    if (!*out)
        return optml_error(ctx, OPTML_E_NOMEM, INPUT_FILE ": out of memory");
    return OPTML_OK;
}

static const char *const MODES[] = {"File", "FastFile", "Pipe", NULL};
static const enum optml_input_mode MODE_VALUES[] = {OPTML_MODE_FILE, OPTML_MODE_FASTFILE,
                                                    OPTML_MODE_PIPE};
static const char *const DISTRIBUTIONS[] = {"FullyReplicated", "ShardedByS3Key", NULL};
static const char *const WRAPPERS[] = {"None", "RecordIO", NULL};
static const char *const COMPRESSIONS[] = {"None", "Gzip", NULL};

static optml_status parse_channel(optml_ctx *ctx, const char *name, const json_t *obj,
                                  struct rt_channel_config *ch)
{
    if (!valid_channel_name(name))
        return optml_error(ctx, OPTML_E_CLIENT,
                           INPUT_FILE ": channel name '%.256s' cannot be a directory name", name);
    if (!json_is_object(obj))
        return optml_error(ctx, OPTML_E_CLIENT,
                           INPUT_FILE ": channel '%s': expected an object, got %s",
                           name, rt_json_kind(obj));
    int mode = 0, dist = 0, wrap = 0, comp = 0;
    optml_status st;
    if ((st = content_type_field(ctx, name, obj, &ch->content_type)) != OPTML_OK ||
        (st = enum_field(ctx, name, obj, "TrainingInputMode", MODES, &mode)) != OPTML_OK ||
        (st = enum_field(ctx, name, obj, "S3DistributionType", DISTRIBUTIONS, &dist)) != OPTML_OK ||
        (st = enum_field(ctx, name, obj, "RecordWrapperType", WRAPPERS, &wrap)) != OPTML_OK ||
        (st = enum_field(ctx, name, obj, "CompressionType", COMPRESSIONS, &comp)) != OPTML_OK)
        return st;
    ch->mode = MODE_VALUES[mode];
    ch->sharded = dist == 1;
    ch->recordio_wrapped = wrap == 1;
    ch->gzip = comp == 1;
    return OPTML_OK;
}

optml_status rt_input_config_parse(optml_ctx *ctx, const char *text, size_t len,
                                   struct rt_input_config *out)
{
    memset(out, 0, sizeof(*out));
    if (!text || is_blank(text, len))
        return OPTML_OK;
    json_t *root = NULL;
    optml_status st = rt_config_load_object(ctx, INPUT_FILE, text, len, &root);
    if (st != OPTML_OK)
        return st;
    size_t n = json_object_size(root);
    if (n) {
        out->channels = calloc(n, sizeof(*out->channels));
        if (!out->channels) {
            st = optml_error(ctx, OPTML_E_NOMEM, INPUT_FILE ": out of memory");
            goto out;
        }
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        struct rt_channel_config *ch = &out->channels[out->n];
        ch->name = strdup(key);
        if (!ch->name) {
            st = optml_error(ctx, OPTML_E_NOMEM, INPUT_FILE ": out of memory");
            goto out;
        }
        out->n++;
        if ((st = parse_channel(ctx, key, val, ch)) != OPTML_OK)
            goto out;
    }
    if (out->n > 1)
        qsort(out->channels, out->n, sizeof(*out->channels), cmp_channels);
out:
    json_decref(root);
    if (st != OPTML_OK)
        rt_input_config_free(out);
    return st;
}

static int is_directory(const char *dir, const char *name)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return -1;
    struct stat sb;
    int r = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    free(path);
    return r;
}

static optml_status add_discovered(optml_ctx *ctx, struct rt_input_config *c, size_t *cap,
                                   const char *name)
{
    if (c->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct rt_channel_config *nc = realloc(c->channels, ncap * sizeof(*nc));
        if (!nc)
            return optml_error(ctx, OPTML_E_NOMEM, "channel discovery: out of memory");
        c->channels = nc;
        *cap = ncap;
    }
    struct rt_channel_config *ch = &c->channels[c->n];
    memset(ch, 0, sizeof(*ch));
    ch->mode = OPTML_MODE_FILE;
    ch->name = strdup(name);
    if (!ch->name)
        return optml_error(ctx, OPTML_E_NOMEM, "channel discovery: out of memory");
    c->n++;
    return OPTML_OK;
}

optml_status rt_input_config_discover(optml_ctx *ctx, const char *data_dir,
                                      struct rt_input_config *out)
{
    memset(out, 0, sizeof(*out));
    DIR *d = opendir(data_dir);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR)
            return OPTML_OK;
        return optml_error(ctx, OPTML_E_IO, "cannot list %s: %s", data_dir, strerror(errno));
    }
    optml_status st = OPTML_OK;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int isdir = is_directory(data_dir, e->d_name);
        if (isdir < 0) {
            st = optml_error(ctx, OPTML_E_NOMEM, "channel discovery: out of memory");
            break;
        }
        if (isdir && (st = add_discovered(ctx, out, &cap, e->d_name)) != OPTML_OK)
            break;
    }
    closedir(d);
    if (st != OPTML_OK) {
        rt_input_config_free(out);
        return st;
    }
    if (out->n > 1)
        qsort(out->channels, out->n, sizeof(*out->channels), cmp_channels);
    return OPTML_OK;
}

void rt_input_config_warn_unlisted(const struct rt_input_config *c, const char *data_dir)
{
    DIR *d = opendir(data_dir);
    if (!d)
        return;
    char listed[1024] = "";
    size_t n = 0;
    for (size_t i = 0; i < c->n && n < sizeof(listed); i++)
        n += (size_t)snprintf(listed + n, sizeof(listed) - n, "%s%s", i ? ", " : "", c->channels[i].name);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || is_directory(data_dir, e->d_name) != 1)
            continue;
        int found = 0;
        for (size_t i = 0; i < c->n && !found; i++)
            found = strcmp(c->channels[i].name, e->d_name) == 0;
        if (!found)
            rt_log(OPTML_LOG_WARNING, "%s/%s is not a channel of " INPUT_FILE " (%s%s): its files are not read; "
                   "add the channel to " INPUT_FILE " or rename the directory",
                   data_dir, e->d_name, c->n ? "its channels: " : "it names no channels", listed);
    }
    closedir(d);
}

/* ------------------------------------------------------------------------ */
/* resourceconfig.json                                                      */
/* ------------------------------------------------------------------------ */

void rt_resource_config_free(struct rt_resource_config *r)
{
    if (!r)
        return;
    free(r->current_host);
    for (size_t i = 0; i < r->n_hosts; i++)
        free(r->hosts[i]);
    free(r->hosts);
    free(r->network_interface);
    memset(r, 0, sizeof(*r));
}

/* An optional non-empty string member; *out borrowed, NULL when absent/null. */
static optml_status string_member(optml_ctx *ctx, const json_t *root, const char *key,
                                  const char **out)
{
    const json_t *v = json_object_get(root, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return OPTML_OK;
    if (!json_is_string(v))
        return optml_error(ctx, OPTML_E_CLIENT, RESOURCE_FILE ": '%s' must be a string, got %s",
                           key, rt_json_kind(v));
    if (!*json_string_value(v))
        return optml_error(ctx, OPTML_E_CLIENT, RESOURCE_FILE ": '%s' must not be empty", key);
    *out = json_string_value(v);
    return OPTML_OK;
}

static optml_status hosts_member(optml_ctx *ctx, const json_t *hosts, struct rt_resource_config *r)
{
    if (!json_is_array(hosts))
        return optml_error(ctx, OPTML_E_CLIENT,
                           RESOURCE_FILE ": 'hosts' must be a list of strings, got %s",
                           rt_json_kind(hosts));
    size_t n = json_array_size(hosts);
    if (n == 0)
        return optml_error(ctx, OPTML_E_CLIENT, RESOURCE_FILE ": 'hosts' is an empty list");
    r->hosts = calloc(n, sizeof(*r->hosts));
    if (!r->hosts)
        return optml_error(ctx, OPTML_E_NOMEM, RESOURCE_FILE ": out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *h = json_array_get(hosts, i);
        if (!json_is_string(h) || !*json_string_value(h))
            return optml_error(ctx, OPTML_E_CLIENT,
                               RESOURCE_FILE ": 'hosts' must be a list of non-empty strings, "
                               "but element %zu is %s", i,
                               json_is_string(h) ? "an empty string" : rt_json_kind(h));
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->hosts[j], json_string_value(h)) == 0)
                return optml_error(ctx, OPTML_E_CLIENT,
                                   RESOURCE_FILE ": host '%.256s' is listed twice in 'hosts'",
                                   json_string_value(h));
        r->hosts[i] = strdup(json_string_value(h));
        if (!r->hosts[i])
            return optml_error(ctx, OPTML_E_NOMEM, RESOURCE_FILE ": out of memory");
        r->n_hosts = i + 1;
    }
    return OPTML_OK;
}

/* Fill current_host, a one-element hosts list and the interface. */
static optml_status resource_fill(optml_ctx *ctx, struct rt_resource_config *r,
                                  const char *current, const char *iface)
{
    if (!r->hosts) {
        r->hosts = calloc(1, sizeof(*r->hosts));
        if (!r->hosts || !(r->hosts[0] = strdup(current ? current : "algo-1")))
            return optml_error(ctx, OPTML_E_NOMEM, RESOURCE_FILE ": out of memory");
        r->n_hosts = 1;
    }
    r->current_host = strdup(current ? current : r->hosts[0]);
    r->network_interface = strdup(iface ? iface : "eth0");
    if (!r->current_host || !r->network_interface)
        return optml_error(ctx, OPTML_E_NOMEM, RESOURCE_FILE ": out of memory");
    char list[512] = "";
    for (size_t i = 0; i < r->n_hosts; i++) {
        if (strcmp(r->hosts[i], r->current_host) == 0)
            return OPTML_OK;
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", r->hosts[i]);
    }
    return optml_error(ctx, OPTML_E_CLIENT,
                       RESOURCE_FILE ": current_host '%.256s' is not one of hosts: %s",
                       r->current_host, list);
}

optml_status rt_resource_config_parse(optml_ctx *ctx, const char *text, size_t len,
                                      struct rt_resource_config *out)
{
    memset(out, 0, sizeof(*out));
    if (!text || is_blank(text, len))
        return resource_fill(ctx, out, NULL, NULL);
    json_t *root = NULL;
    const char *current = NULL, *iface = NULL;
    optml_status st = rt_config_load_object(ctx, RESOURCE_FILE, text, len, &root);
    if (st != OPTML_OK)
        return st;
    const json_t *hosts = json_object_get(root, "hosts");
    if ((st = string_member(ctx, root, "current_host", &current)) != OPTML_OK ||
        (st = string_member(ctx, root, "network_interface_name", &iface)) != OPTML_OK)
        goto out;
    if (hosts && !json_is_null(hosts) && (st = hosts_member(ctx, hosts, out)) != OPTML_OK)
        goto out;
    st = resource_fill(ctx, out, current, iface);
out:
    json_decref(root);
    if (st != OPTML_OK)
        rt_resource_config_free(out);
    return st;
}

/* ------------------------------------------------------------------------ */
/* checkpointconfig.json                                                    */
/* ------------------------------------------------------------------------ */

optml_status rt_checkpoint_config_parse(optml_ctx *ctx, const char *text, size_t len,
                                        char **local_path)
{
    *local_path = NULL;
    if (!text || is_blank(text, len))
        return OPTML_OK;
    json_t *root = NULL;
    optml_status st = rt_config_load_object(ctx, CHECKPOINT_FILE, text, len, &root);
    if (st != OPTML_OK)
        return st;
    const json_t *v = json_object_get(root, "LocalPath");
    if (v && !json_is_null(v) && !json_is_string(v)) {
        st = optml_error(ctx, OPTML_E_CLIENT, CHECKPOINT_FILE ": 'LocalPath' must be a string, got %s",
                         rt_json_kind(v));
    } else if (json_is_string(v) && *json_string_value(v)) {
        *local_path = strdup(json_string_value(v));
        if (!*local_path)
            st = optml_error(ctx, OPTML_E_NOMEM, CHECKPOINT_FILE ": out of memory");
    }
    json_decref(root);
    return st;
}
