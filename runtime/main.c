/*
 * main.c: the `optml` executable's entry point.  Dispatches on the name it
 * was called by (`train`, `serve` symlinks) or on its first argument:
 * train | serve | version | help; `train --help` / `serve -h` print the
 * command's usage without starting it.  Nothing else lives here.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/log.h"
#include "loader/module.h"
#include "serve/serve.h"
#include "core/stop.h"
#include "train/train.h"

static const char *type_name(enum optml_hp_type t)
{
    switch (t) {
    case OPTML_HP_INT: return "int";
    case OPTML_HP_FLOAT: return "float";
    case OPTML_HP_BOOL: return "bool";
    case OPTML_HP_STRING: return "string";
    case OPTML_HP_ENUM: return "enum";
    case OPTML_HP_JSON: return "json";
    }
    return "?";
}

static void print_module(const struct optml_algorithm *alg, int details)
{
    printf("  %-20s %s  %s\n", alg->name, alg->version ? alg->version : "",
           alg->description ? alg->description : "");
    if (!details)
        return;
    printf("\n  channels:\n");
    for (size_t i = 0; i < alg->n_channels; i++) {
        const struct optml_channel_decl *c = &alg->channels[i];
        printf("    %-18s %s ", c->name, (c->flags & OPTML_CHANNEL_REQUIRED) ? "required" : "optional");
        for (size_t j = 0; c->content_types && c->content_types[j]; j++)
            printf("%s%s", j ? ", " : "", c->content_types[j]);
        printf("\n");
    }
    printf("\n  hyperparameters:\n");
    for (size_t i = 0; i < alg->n_hparams; i++) {
        const struct optml_hparam_decl *h = &alg->hparams[i];
        printf("    %-28s %-6s %s", h->name, type_name(h->type),
               (h->flags & OPTML_HP_REQUIRED) ? "required" : "default ");
        if (!(h->flags & OPTML_HP_REQUIRED))
            printf(" %s", h->default_value ? h->default_value : "(unset)");
        if (h->type == OPTML_HP_ENUM && h->choices) {
            printf("  {");
            for (size_t j = 0; h->choices[j]; j++)
                printf("%s%s", j ? "," : "", h->choices[j]);
            printf("}");
        }
        if (h->flags & (OPTML_HP_HAS_MIN | OPTML_HP_HAS_MAX)) {
            printf("  range %s", (h->flags & OPTML_HP_MIN_EXCLUSIVE) ? "(" : "[");
            if (h->flags & OPTML_HP_HAS_MIN) printf("%g", h->min); else printf("-inf");
            printf(", ");
            if (h->flags & OPTML_HP_HAS_MAX) printf("%g]", h->max); else printf("inf)");
        }
        if (h->help)
            printf("  %s", h->help);
        printf("\n");
    }
}

/* Print installed modules; with details, the chosen module's tables. */
static void print_modules(int details)
{
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    struct rt_module_list l;
    rt_module_list(&ctx, &l);
    printf("modules (searched %s):\n", l.searched ? l.searched : "?");
    if (l.n == 0)
        printf("  none installed\n");
    for (size_t i = 0; i < l.n; i++) {
        struct rt_module m;
        rt_ctx_clear_error(&ctx);
        if (rt_module_load(&ctx, l.paths[i], &m) == OPTML_OK) {
            const char *want = getenv("OPTML_ALGORITHM");
            int chosen = l.n == 1 || (want && strcmp(want, l.names[i]) == 0);
            print_module(m.alg, details && chosen);
            rt_module_release(&m);
        } else {
            printf("  %-20s (cannot load: %s)\n", l.names[i], ctx.errmsg);
        }
    }
    rt_module_list_free(&l);
}

static void usage(FILE *out)
{
    fprintf(out,
            "optml %s: a SageMaker-compatible container runtime\n\n"
            "usage: optml train | serve | version | help\n"
            "       train, serve   (the same program under those names)\n\n"
            "  train     run a training job under /opt/ml (or $SAGEMAKER_BASE_DIR)\n"
            "  serve     answer SageMaker's inference contract on port 8080\n"
            "  version   print versions and installed modules\n"
            "  help      this text, with the module's channels and hyperparameters\n\n"
            "environment: OPTML_ALGORITHM (module to use), OPTML_MODULE_PATH (module directories),\n"
            "  SAGEMAKER_BASE_DIR, OPTML_LOG_LEVEL / SAGEMAKER_CONTAINER_LOG_LEVEL,\n"
            "  OPTML_MAX_RECORD_MB, OPTML_KEEP_CHECKPOINTS, OPTML_PROGRESS_SECONDS\n\n",
            OPTML_VERSION);
}

/* `optml train --help`, `serve -h`, ...: what the command does, without
 * starting a job or a server. */
static void command_usage(const char *cmd)
{
    if (strcmp(cmd, "train") == 0)
        printf("usage: optml train   (or `train`, the same program under that name)\n\n"
               "Runs one training job as SageMaker does: reads input/config/*.json and the channels in\n"
               "input/data/ under /opt/ml (or $SAGEMAKER_BASE_DIR), writes model/ and, on failure,\n"
               "output/failure.  Exit 0 on success or SIGTERM, 2 for a ClientError, 1 for an\n"
               "AlgorithmError.  `optml help` lists the module's channels and hyperparameters.\n");
    else
        printf("usage: optml serve   (or `serve`, the same program under that name)\n\n"
               "Loads the model in /opt/ml/model (or $SAGEMAKER_BASE_DIR/model) and answers GET /ping,\n"
               "POST /invocations and GET /execution-parameters on port 8080\n"
               "($SAGEMAKER_BIND_TO_PORT) until SIGTERM.  Settings: SAGEMAKER_MODEL_SERVER_WORKERS,\n"
               "SAGEMAKER_MODEL_SERVER_TIMEOUT, SAGEMAKER_MAX_PAYLOAD_IN_MB, SAGEMAKER_MULTI_MODEL; optml's own:\n"
               "OPTML_BIND_ADDRESS, OPTML_HTTP_IDLE_TIMEOUT, OPTML_HTTP_HEADER_TIMEOUT, OPTML_HTTP_MIN_BODY_RATE,\n"
               "OPTML_HTTP_MAX_CONNECTIONS, OPTML_HTTP_MAX_CONNECTIONS_PER_CLIENT (docs/serving.md).\n");
}

static int wants_help(int argc, char **argv, int from)
{
    for (int i = from; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C");
    rt_log_init_from_env();
    char *self = strdup(argv[0] ? argv[0] : "optml");
    const char *prog = self ? basename(self) : "optml";
    const char *cmd = NULL;
    int args_from = 2; /* the command's own arguments */
    if (strcmp(prog, "train") == 0 || strcmp(prog, "serve") == 0) {
        cmd = prog;
        args_from = 1;
    } else if (argc > 1) {
        cmd = argv[1];
    }
    int code;
    if (cmd && (strcmp(cmd, "train") == 0 || strcmp(cmd, "serve") == 0) && wants_help(argc, argv, args_from)) {
        command_usage(cmd);
        code = 0;
    } else if (!cmd || strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        print_modules(1);
        code = cmd ? 0 : 2;
    } else if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("optml %s (module API version %d)\n", OPTML_VERSION, OPTML_ALGORITHM_API_VERSION);
        print_modules(0);
        code = 0;
    } else if (strcmp(cmd, "train") == 0) {
        rt_stop_install_handlers();
        code = rt_train_main();
    } else if (strcmp(cmd, "serve") == 0) {
        rt_stop_install_handlers();
        code = rt_serve_main();
    } else {
        fprintf(stderr, "optml: unknown command '%s'\n\n", cmd);
        usage(stderr);
        code = 2;
    }
    free(self);
    return code;
}
