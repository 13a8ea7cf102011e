/*
 * test_metrics.c: the metric line formats and their metrics.jsonl copy
 * (runtime/train/metrics.c).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/harness.h"
#include "core/ctx.h"
#include "train/job.h"
#include "core/log.h"
#include "serve/response.h"
#include "support/support.h"

TEST(metric_lines_use_builtin_shapes_and_jsonl_copy)
{
    char *dir = tmpdir_new();
    char *path = path_join(dir, "metrics.jsonl");
    struct rt_job job;
    memset(&job, 0, sizeof(job));
    char host[] = "algo-3";
    job.resource.current_host = host;
    job.metrics = fopen(path, "w");
    struct optml_ctx ctx;
    rt_ctx_init(&ctx);
    ctx.job = &job;
    optml_metric(&ctx, &(struct optml_metric){"validation", "multiclass_accuracy", "score", 0.9469825155104343, -1, -1});
    optml_metric(&ctx, &(struct optml_metric){"train", "loss", "loss", 14.23, 0, 0});
    optml_metric(&ctx, &(struct optml_metric){"train", "mse_objective", "loss", 1.0 / 0.0, 1, -1});
    fclose(job.metrics);
    char *text = read_file(path, NULL);
    ASSERT_CONTAINS(text, "\"host\":\"algo-3\",\"type\":\"quality\",\"split\":\"validation\",\"name\":\"multiclass_accuracy\",\"kind\":\"score\",\"value\":0.9469825155104343,\"epoch\":null,\"batch\":null}");
    ASSERT_CONTAINS(text, "\"value\":14.23,\"epoch\":0,\"batch\":0}");
    ASSERT_CONTAINS(text, "\"value\":null,\"epoch\":1");
}
