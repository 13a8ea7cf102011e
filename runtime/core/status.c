/*
 * status.c: the name, text, HTTP code and failure kind of every
 * optml_status, generated from OPTML_STATUS_MAP so the tables cannot drift,
 * and the process exit code and failure prefix derived from the kind.
 */
#include "core/status.h"

#define NAME(name, http, kind, text) #name,
#define TEXT(name, http, kind, text) text,
#define HTTP(name, http, kind, text) http,
#define KIND(name, http, kind, text) kind,
static const char *const names[] = {OPTML_STATUS_MAP(NAME)};
static const char *const texts[] = {OPTML_STATUS_MAP(TEXT)};
static const int https[] = {OPTML_STATUS_MAP(HTTP)};
static const char kinds[] = {OPTML_STATUS_MAP(KIND)};
_Static_assert(sizeof(names) / sizeof(names[0]) == OPTML_STATUS_COUNT, "status table size");
_Static_assert(sizeof(kinds) == OPTML_STATUS_COUNT, "status kind table size");

static int valid(optml_status s) { return (unsigned)s < (unsigned)OPTML_STATUS_COUNT; }

const char *optml_status_name(optml_status s) { return valid(s) ? names[s] : "UNKNOWN"; }
const char *optml_status_text(optml_status s) { return valid(s) ? texts[s] : "unknown status"; }
int optml_status_http(optml_status s) { return valid(s) ? https[s] : 500; }
char optml_status_kind(optml_status s) { return valid(s) ? kinds[s] : 'A'; }

int rt_status_exit_code(optml_status s)
{
    if (s == OPTML_OK || s == OPTML_STOPPED)
        return 0;
    return optml_status_kind(s) == 'C' ? 2 : 1;
}

const char *rt_status_failure_prefix(optml_status s)
{
    return optml_status_kind(s) == 'C' ? "ClientError" : "AlgorithmError";
}
