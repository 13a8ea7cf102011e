/*
 * test_news_classifier.c: the news-classifier module end to end through
 * build/bin/optml: the default model on the Debian package-description
 * corpus shipped in local_test/news-classifier (first 80 % training, last
 * 20 % validation) must reach 0.90 held-out accuracy (the peers reach 0.919
 * at best); the workshop's logs, artifacts and serving contract; UCI label
 * names, label_names, the held-out split; the workshop architecture with
 * and without GloVe; checkpoints; and bad input.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "serve_helpers.h"
#include "train_helpers.h"

#define CORPUS_DIR "local_test/news-classifier/test_dir/input/data"

static struct run_result nc_train_run(const char *base)
{
    const char *env[] = {strf("SAGEMAKER_BASE_DIR=%s", base), module_path_env(), "OPTML_ALGORITHM=news-classifier", NULL};
    const char *args[] = {"train", NULL};
    struct run_result r = run_optml(args, env, 120);
    if (r.exit_code != 0 && getenv("OPTML_TEST_VERBOSE"))
        fprintf(stderr, "%s\n", r.output);
    return r;
}

static struct served *nc_serve(const char *base)
{
    const char *extra[] = {module_path_env(), "OPTML_ALGORITHM=news-classifier", NULL};
    return serve_start_ready(base, extra);
}

/* Copy a shipped corpus file into base's channel. */
static void copy_corpus(const char *base, const char *channel)
{
    char *src = strf(CORPUS_DIR "/%s/newsCorpora.csv", channel);
    size_t len;
    char *data = read_file(src, &len);
    ASSERT(data != NULL);
    char *rel = strf("input/data/%s/newsCorpora.csv", channel);
    write_file(base, rel, data, len);
    free(rel);
    free(data);
    free(src);
}

static json_t *model_json(const char *base)
{
    char *text = tree_file(base, "model/model.json");
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        test_fail(__FILE__, __LINE__, "model.json: %s: %s", e.text, text);
    free(text);
    return j;
}

/* POST a JSON body, require 200 and return the parsed answer. */
static json_t *ask(struct served *s, const char *ctype, const char *accept, const char *body)
{
    struct http_response *r = serve_invoke(s, ctype, accept, NULL, body, strlen(body));
    EXPECT_STATUS(s, r, 200);
    return EXPECT_JSON(s, r);
}

/* One of the shipped corpus's labels (Debian archive sections). */
static int is_section(const char *name)
{
    return strcmp(name, "games") == 0 || strcmp(name, "net") == 0 || strcmp(name, "science") == 0 ||
           strcmp(name, "sound") == 0;
}

static const char *result_of(struct served *s, const char *headline)
{
    json_t *in = json_pack("{s:s}", "input", headline);
    char *body = json_dumps(in, 0);
    json_decref(in);
    json_t *j = ask(s, "application/json", NULL, body);
    free(body);
    SRV_ASSERT(s, json_object_size(j) == 1);
    const char *res = serve_json_str(j, "result");
    SRV_ASSERT(s, res != NULL);
    return res;
}

/* The training report: the curves, the validation confusion matrix (the
 * corpus's class names, its accuracy that of model.json), the architecture. */
static void check_report(const char *base, const char *architecture, double accuracy)
{
    char *html = tree_file(base, "output/data/report.html");
    ASSERT_CONTAINS(html, "<h3>loss by epoch</h3>");
    ASSERT_CONTAINS(html, "<h3>accuracy by epoch</h3>");
    ASSERT_CONTAINS(html, "<caption>Confusion matrix (validation)");
    ASSERT_CONTAINS(html, "<th>games</th><th>net</th><th>science</th><th>sound</th><th>Rows</th>");
    ASSERT_CONTAINS(html, strf("Accuracy %.2f%% (", 100.0 * accuracy));
    ASSERT_CONTAINS(html, " of 1112 rows)");
    ASSERT_CONTAINS(html, strf("<th class=\"l\">Architecture</th><td class=\"l\">%s (", architecture));
    ASSERT_CONTAINS(html, "<tr><td class=\"l\">training</td>");
    ASSERT_CONTAINS(html, "<td>4448</td><td>0</td></tr>"); /* rows, bad rows */
    free(html);
}

TEST_TIMEOUT(nc_default_model_on_debian_corpus_beats_peers_and_serves_the_workshop_contract, 240)
{
    char *base = optml_tree_new("{}");
    copy_corpus(base, "training");
    copy_corpus(base, "validation");
    struct run_result r = nc_train_run(base);
    ASSERT_EQ_INT(r.exit_code, 0);
    /* the configuration as resolved for architecture ngram */
    ASSERT(has_line_matching(r.output, "Final configuration: \\{\"architecture\":\"ngram\",\"batch_size\":\"8\",.*"
                                       "\"embedding_dim\":\"0\",\"epochs\":\"5\",\"l2\":\"1e-05\","
                                       "\"learning_rate\":\"1\",\"loss\":\"hinge\",.*\"threads\":\"[1-9][0-9]*\""));
    /* the workshop's and Keras's lines, and the runtime's metric lines */
    ASSERT_CONTAINS(r.output, "Starting the training.");
    ASSERT(has_line_matching(r.output, "^Epoch 1/[0-9]+$"));
    ASSERT(has_line_matching(r.output, "^ - [0-9]+s - loss: [0-9.]+ - acc: [0-9.]+ - val_loss: [0-9.]+ - val_acc: [0-9.]+$"));
    ASSERT(has_line_matching(r.output, "#quality_metric: host=algo-1, epoch=[0-9]+, validation accuracy <score>=[0-9.]+"));
    ASSERT(has_line_matching(r.output, "^Predicted category: (games|net|science|sound)$"));
    ASSERT(tree_has(base, "model/news-classifier.model"));
    json_t *mj = model_json(base);
    double acc = json_number_value(json_object_get(mj, "validation_accuracy"));
    fprintf(stderr, "news-classifier default: validation accuracy %.4f on the Debian corpus\n", acc);
    ASSERT(acc >= 0.90);
    ASSERT_EQ_INT(json_integer_value(json_object_get(mj, "training_rows")), 4448);
    ASSERT_EQ_INT(json_integer_value(json_object_get(mj, "validation_rows")), 1112);
    ASSERT_EQ_STR(json_string_value(json_object_get(mj, "architecture")), "ngram");
    check_report(base, "ngram", acc);
    json_decref(mj);

    struct served *s = nc_serve(base);
    /* one headline, the workshop's shape */
    SRV_ASSERT_EQ_STR(s, result_of(s, "multiplayer strategy game set in a fantasy world"), "games");
    SRV_ASSERT_EQ_STR(s, result_of(s, "tool to align DNA sequencing reads to a reference genome"), "science");
    SRV_ASSERT_EQ_STR(s, result_of(s, "SSH client and server for secure remote login"), "net");
    /* a list, with probabilities through the Accept parameter */
    json_t *j = ask(s, "application/json", "application/json; verbose=1",
                    "{\"input\": [\"MIDI sequencer and software synthesizer\", \"IRC chat client\"]}");
    json_t *res = json_object_get(j, "result"), *probs = json_object_get(j, "probabilities");
    SRV_ASSERT(s, json_is_array(res) && json_array_size(res) == 2);
    SRV_ASSERT_EQ_STR(s, json_string_value(json_array_get(res, 0)), "sound");
    SRV_ASSERT(s, json_is_array(probs) && json_array_size(probs) == 2);
    double sum = 0;
    const char *key;
    json_t *v;
    json_object_foreach(json_array_get(probs, 0), key, v) sum += json_number_value(v);
    SRV_ASSERT(s, fabs(sum - 1.0) < 1e-4 && json_object_size(json_array_get(probs, 0)) == 4);
    /* a verbose field in the body */
    j = ask(s, "application/json", NULL, "{\"input\": \"arcade puzzle game\", \"verbose\": true}");
    SRV_ASSERT(s, json_is_object(json_object_get(j, "probabilities")));
    /* text/plain: one headline per line; a blank line between two is a 400
     * naming it (answers must line up with lines), trailing ones are fine */
    j = ask(s, "text/plain", NULL, "arcade puzzle game\nweb server with HTTP/2 support\n\n");
    SRV_ASSERT(s, json_array_size(json_object_get(j, "result")) == 2);
    struct http_response *blank = serve_invoke(s, "text/plain", NULL, NULL, "arcade puzzle game\n\nweb server\n", 31);
    EXPECT_JSON_ERROR(s, blank, 400, "line 2 is blank");
    /* jsonlines in and out */
    const char *jl = "{\"input\": \"arcade puzzle game\"}\n\"audio player with playlist support\"\n";
    struct http_response *hr = serve_invoke(s, "application/jsonlines", "application/jsonlines", NULL, jl, strlen(jl));
    EXPECT_STATUS(s, hr, 200);
    SRV_ASSERT(s, serve_type_is(hr, "application/jsonlines"));
    SRV_ASSERT_CONTAINS(s, hr->body, "{\"result\":\"games\"}\n{\"result\":\"sound\"}\n");
    /* the workshop's 415, in a JSON error body */
    hr = serve_invoke(s, "text/csv", NULL, NULL, "a,b", 3);
    EXPECT_JSON_ERROR(s, hr, 415, "This predictor only supports JSON format");
    hr = serve_invoke(s, "application/json", "text/csv", NULL, "{\"input\": \"x\"}", 14);
    EXPECT_JSON_ERROR(s, hr, 406, "application/json");
    hr = serve_invoke(s, "application/json", NULL, NULL, "{\"input\": ", 10);
    EXPECT_JSON_ERROR(s, hr, 400, "malformed JSON");
    hr = serve_invoke(s, "application/json", NULL, NULL, "{\"headline\": \"x\"}", 17);
    EXPECT_JSON_ERROR(s, hr, 400, "no \"input\" key");
    hr = serve_invoke(s, "application/json", NULL, NULL, "{\"input\": [1]}", 14);
    EXPECT_JSON_ERROR(s, hr, 400, "is not a string");
    /* still healthy after bad requests */
    SRV_ASSERT_EQ_STR(s, result_of(s, "multiplayer strategy game"), "games");
    serve_stop(s);
}

/* A small UCI-style corpus: templates per category, with a few bad rows. */
static char *uci_corpus(int rows_per_class)
{
    static const char *const tmpl[4][4] = {
        {"stocks fall as bank profits drop", "markets rally on earnings", "bank shares rise after merger",
         "oil prices and trade deficit"},
        {"new smartphone chip unveiled", "software update for laptops", "google android release",
         "internet security flaw found"},
        {"movie star wins award", "pop singer announces tour", "new film tops box office",
         "celebrity wedding pictures"},
        {"study links diet to heart disease", "vaccine trial shows results", "hospital reports flu cases",
         "cancer drug approved"}};
    static const char codes[4] = {'b', 't', 'e', 'm'};
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    int id = 1;
    /* categories appear in the order m, e, t, b: the ids must still be b t e m */
    for (int i = 0; i < rows_per_class; i++)
        for (int c = 3; c >= 0; c--) {
            char title[128];
            snprintf(title, sizeof(title), "%s %d", tmpl[c][i % 4], i);
            fprintf(f, "%d\t%s\thttp://example.invalid/%d\tPublisher\t%c\tS%d\texample.invalid\t139447037%04d\n", id,
                    title, id, codes[c], id, id);
            id++;
        }
    /* dropped: a missing PUBLISHER, a short row; kept: a quoted title with a TAB */
    fprintf(f, "%d\ta title\thttp://x\t\tb\tS\th\t1\n", id++);
    fprintf(f, "%d\tshort row\tb\n", id++);
    fprintf(f, "%d\t\"bank\tprofits \"\"soar\"\"\"\thttp://x\tP\tb\tS\th\t1\n", id++);
    fclose(f);
    return out;
}

TEST_TIMEOUT(nc_uci_categories_get_workshop_names_label_names_and_a_held_out_split, 120)
{
    char *corpus = uci_corpus(40);
    char *base = optml_tree_new("{\"epochs\": \"10\"}");
    write_file(base, "input/data/training/newsCorpora.csv", corpus, (size_t)-1);
    struct run_result r = nc_train_run(base);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "161 rows, 2 dropped");
    json_t *mj = model_json(base);
    /* no validation channel: 20 % held out */
    ASSERT_EQ_INT(json_integer_value(json_object_get(mj, "validation_rows")), 32);
    ASSERT_EQ_INT(json_integer_value(json_object_get(mj, "training_rows")), 129);
    json_t *labels = json_object_get(mj, "labels");
    ASSERT_EQ_INT(json_array_size(labels), 4);
    const char *names[] = {"Business", "Science & Technology", "Entertainment", "Health & Medicine"};
    const char *codes[] = {"b", "t", "e", "m"};
    for (size_t i = 0; i < 4; i++) {
        ASSERT_EQ_STR(json_string_value(json_object_get(json_array_get(labels, i), "value")), codes[i]);
        ASSERT_EQ_STR(json_string_value(json_object_get(json_array_get(labels, i), "name")), names[i]);
    }
    json_decref(mj);
    struct served *s = nc_serve(base);
    SRV_ASSERT_EQ_STR(s, result_of(s, "bank profits drop"), "Business");
    SRV_ASSERT_EQ_STR(s, result_of(s, "vaccine for flu approved"), "Health & Medicine");
    serve_stop(s);

    char *base2 = optml_tree_new("{\"epochs\": \"10\", \"label_names\": \"{\\\"b\\\": \\\"Money\\\"}\"}");
    write_file(base2, "input/data/training/newsCorpora.csv", corpus, (size_t)-1);
    r = nc_train_run(base2);
    ASSERT_EQ_INT(r.exit_code, 0);
    s = nc_serve(base2);
    SRV_ASSERT_EQ_STR(s, result_of(s, "bank profits drop"), "Money");
    SRV_ASSERT_EQ_STR(s, result_of(s, "pop singer tour"), "Entertainment");
    serve_stop(s);
    free(corpus);
}

/* A 6-d GloVe-format file: 8 words of the corpus and one it lacks. */
static char *tiny_glove(size_t *glen)
{
    const char *words[] = {"game", "library", "server", "audio", "data", "the", "for", "and"};
    char *glove = NULL;
    FILE *f = open_memstream(&glove, glen);
    for (size_t w = 0; w < 8; w++) {
        fprintf(f, "%s", words[w]);
        for (int d = 0; d < 6; d++)
            fprintf(f, " %.4f", (double)((int)(w * 7 + (size_t)d * 3) % 11 - 5) / 10.0);
        fprintf(f, "\n");
    }
    fprintf(f, "unusedword 1 2 3 4 5 6\n");
    fclose(f);
    return glove;
}

TEST_TIMEOUT(nc_workshop_architecture_with_and_without_glove, 240)
{
    char *base = optml_tree_new("{\"architecture\": \"workshop\", \"epochs\": \"2\"}");
    copy_corpus(base, "training");
    copy_corpus(base, "validation");
    struct run_result r = nc_train_run(base);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT(has_line_matching(r.output, "^Found [0-9]+ unique tokens\\.$"));
    ASSERT_CONTAINS(r.output, "Shape of data tensor: (5560, 100)");
    ASSERT_CONTAINS(r.output, "Shape of label tensor: (5560, 4)");
    ASSERT_CONTAINS(r.output, "x_train shape:  (4448, 100)");
    ASSERT_CONTAINS(r.output, "Epoch 2/2");
    ASSERT_CONTAINS(r.output, "the 10000 x 100 embedding is learned");
    json_t *mj = model_json(base);
    ASSERT_EQ_STR(json_string_value(json_object_get(mj, "architecture")), "workshop");
    /* two epochs of the workshop's 2-unit network: better than chance, far below ngram */
    ASSERT(json_number_value(json_object_get(mj, "validation_accuracy")) > 0.30);
    check_report(base, "workshop", json_number_value(json_object_get(mj, "validation_accuracy")));
    json_decref(mj);
    struct served *s = nc_serve(base);
    const char *res = result_of(s, "multiplayer strategy game");
    SRV_ASSERT(s, is_section(res));
    serve_stop(s);

    /* GloVe in the training channel: dimension detected, embedding frozen */
    char *gbase = optml_tree_new("{\"architecture\": \"workshop\", \"epochs\": \"1\", \"dense_units\": \"8\"}");
    copy_corpus(gbase, "training");
    size_t glen;
    char *glove = tiny_glove(&glen);
    write_file(gbase, "input/data/training/glove.6B.6d.txt", glove, glen);
    r = nc_train_run(gbase);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "GloVe: 9 vectors of 6 read, 8 of the");
    ASSERT_CONTAINS(r.output, "embedding frozen");
    mj = model_json(gbase);
    ASSERT_EQ_INT(json_integer_value(json_object_get(json_object_get(mj, "workshop"), "embedding_dim")), 6);
    json_decref(mj);
    free(glove);
}

/* Train on base and require a ClientError containing `msg`. */
static void expect_client_error(const char *base, const char *msg)
{
    struct run_result r = nc_train_run(base);
    ASSERT_EQ_INT(r.exit_code, 2);
    char *failure = tree_file(base, "output/failure");
    ASSERT_CONTAINS(failure, "ClientError: ");
    ASSERT_CONTAINS(failure, msg);
    ASSERT(!tree_has(base, "model/news-classifier.model"));
    free(failure);
}

TEST_TIMEOUT(nc_bad_input_is_a_client_error, 120)
{
    char *base = optml_tree_new("{}");
    expect_client_error(base, "training");

    base = optml_tree_new("{\"architecture\": \"lstm\"}");
    copy_corpus(base, "training");
    expect_client_error(base, "architecture");

    base = optml_tree_new("{\"char_ngram_min\": \"4\", \"char_ngram_max\": \"2\"}");
    copy_corpus(base, "training");
    expect_client_error(base, "char_ngram_min (4) and char_ngram_max (2)");

    base = optml_tree_new("{\"label_names\": \"{\\\"nosuch\\\": \\\"X\\\"}\"}");
    copy_corpus(base, "training");
    expect_client_error(base, "label_names names 'nosuch'");

    base = optml_tree_new("{}");
    write_file(base, "input/data/training/newsCorpora.csv",
               "1\tok title\tu\tp\tb\ts\th\t1\n2\tother title\tu\tp\tt\ts\th\t1\n3\t\"never closed\tu\tp\tb\n", (size_t)-1);
    expect_client_error(base, "Unable to parse training file newsCorpora.csv: line 3: a quoted field is not closed");

    base = optml_tree_new("{}");
    write_file(base, "input/data/training/newsCorpora.csv", "1\tonly\tu\tp\tb\ts\th\t1\n2\tone\tu\tp\tb\ts\th\t1\n",
               (size_t)-1);
    expect_client_error(base, "the training rows have only one CATEGORY value ('b'): a classifier needs rows of "
                              "at least two classes");
    /* A second class only in the validation channel does not count. */
    base = optml_tree_new("{}");
    write_file(base, "input/data/training/newsCorpora.csv", "1\tonly\tu\tp\tb\ts\th\t1\n2\tone\tu\tp\tb\ts\th\t1\n",
               (size_t)-1);
    write_file(base, "input/data/validation/newsCorpora.csv", "1\tother\tu\tp\tt\ts\th\t1\n", (size_t)-1);
    expect_client_error(base, "the training rows have only one CATEGORY value ('b')");

    base = optml_tree_new("{}");
    write_file(base, "input/data/training/newsCorpora.csv", "not\tthe\tlayout\n", (size_t)-1);
    expect_client_error(base, "training file newsCorpora.csv has no row with the 8 TAB-separated fields of the "
                              "newsCorpora.csv layout (ID TITLE URL PUBLISHER CATEGORY STORY HOSTNAME TIMESTAMP): "
                              "1 rows dropped");

    /* A comma-separated corpus names the fix. */
    base = optml_tree_new("{}");
    write_file(base, "input/data/training/news.csv",
               "1,bank profits,http://x,P,b,S,h,1\n2,new phone,http://x,P,t,S,h,1\n", (size_t)-1);
    expect_client_error(base, "training file news.csv has no row with the 8 TAB-separated fields");
    expect_client_error(base, "2 rows dropped; its rows are comma-separated: the corpus must be TAB-separated "
                              "(newsCorpora.csv is, despite its name)");

    base = optml_tree_new("{\"architecture\": \"workshop\", \"epochs\": \"1\"}");
    copy_corpus(base, "training");
    write_file(base, "input/data/training/glove.bad.txt", "game 0.1 0.2 0.3\nserver 0.1 zero 0.3\n", (size_t)-1);
    expect_client_error(base, "Unable to parse GloVe file glove.bad.txt, line 2");
}

/* A header row of the column names (pandas' to_csv writes one) is not a
 * row of class "CATEGORY": it is skipped with a warning. */
TEST_TIMEOUT(nc_header_row_is_skipped_with_a_warning, 120)
{
    char *base = optml_tree_new("{\"epochs\": \"1\"}");
    char *corpus = uci_corpus(8);
    write_file(base, "input/data/training/newsCorpora.csv",
               strf("ID\tTITLE\tURL\tPUBLISHER\tCATEGORY\tSTORY\tHOSTNAME\tTIMESTAMP\n%s", corpus), (size_t)-1);
    struct run_result r = nc_train_run(base);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "train failed (%d):\n%s", r.exit_code, r.output);
    ASSERT(has_line_matching(r.output, " WARNING [0-9]+\\] training: newsCorpora.csv: line 1 is a header row "
                                       "\\(TITLE, CATEGORY, ...\\), skipped: the newsCorpora.csv layout has none$"));
    json_t *m = model_json(base);
    ASSERT_EQ_INT(json_array_size(json_object_get(m, "labels")), 4);
    ASSERT(!strstr(tree_file(base, "model/model.json"), "CATEGORY"));
    json_decref(m);
    free(corpus);
    free(r.output);
}

TEST_TIMEOUT(nc_checkpoints_resume_and_threads_do_not_change_the_model, 240)
{
    char *base = optml_tree_new("{\"epochs\": \"3\"}");
    copy_corpus(base, "training");
    copy_corpus(base, "validation");
    char *ck = path_join(base, "checkpoints");
    mkdirs(ck);
    struct run_result r = nc_train_run(base);
    ASSERT_EQ_INT(r.exit_code, 0);
    write_file(base, "input/config/hyperparameters.json", "{\"epochs\": \"5\"}", (size_t)-1);
    r = nc_train_run(base);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "Resuming from the checkpoint after epoch 3");
    ASSERT_CONTAINS(r.output, "Epoch 4/5");
    ASSERT(strstr(r.output, "Epoch 1/5") == NULL);

    /* one thread or two: the same bytes (the classes train independently) */
    char *m[2];
    size_t len[2];
    for (int t = 0; t < 2; t++) {
        char *b = optml_tree_new(t ? "{\"threads\": \"2\"}" : "{\"threads\": \"1\"}");
        copy_corpus(b, "training");
        copy_corpus(b, "validation");
        r = nc_train_run(b);
        ASSERT_EQ_INT(r.exit_code, 0);
        m[t] = read_file(path_join(b, "model/news-classifier.model"), &len[t]);
        ASSERT(m[t] != NULL && len[t] > 1000);
    }
    ASSERT_EQ_INT(len[0], len[1]);
    ASSERT(memcmp(m[0], m[1], len[0]) == 0);
    free(m[0]);
    free(m[1]);
}

TEST_TIMEOUT(nc_pipe_mode_reads_the_corpus_from_fifos, 120)
{
    char *base = optml_tree_new("{\"epochs\": \"5\"}");
    write_file(base, "input/config/inputdataconfig.json",
               "{\"training\": {\"TrainingInputMode\": \"Pipe\"}, \"validation\": {\"TrainingInputMode\": \"Pipe\"}}",
               (size_t)-1);
    char *tr = read_file(CORPUS_DIR "/training/newsCorpora.csv", NULL);
    char *va = read_file(CORPUS_DIR "/validation/newsCorpora.csv", NULL);
    ASSERT(tr && va);
    pid_t w1 = fifo_feed(base, "training_0", tr, strlen(tr), 0), w2 = fifo_feed(base, "validation_0", va, strlen(va), 0);
    struct run_result r = nc_train_run(base);
    int sig;
    wait_exit(w1, 10, &sig);
    wait_exit(w2, 10, &sig);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "training: (pipe): 4448 rows");
    ASSERT_CONTAINS(r.output, "validation: (pipe): 1112 rows");
    json_t *mj = model_json(base);
    ASSERT(json_number_value(json_object_get(mj, "validation_accuracy")) >= 0.90);
    json_decref(mj);
    free(tr);
    free(va);
}

TEST_TIMEOUT(nc_glove_initialises_the_embedding_bag_and_is_reported_unused_by_the_linear_model, 120)
{
    size_t glen;
    char *glove = tiny_glove(&glen);
    char *base = optml_tree_new("{\"embedding_dim\": \"6\", \"epochs\": \"3\"}");
    copy_corpus(base, "training");
    write_file(base, "input/data/training/glove.6B.6d.txt", glove, glen);
    struct run_result r = nc_train_run(base);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "GloVe: 9 vectors read, 8 of the");
    ASSERT_CONTAINS(r.output, "embedding-bag model (softmax)");
    ASSERT(has_line_matching(r.output, "Final configuration: \\{.*\"embedding_dim\":\"6\",.*\"loss\":\"softmax\""));
    struct served *s = nc_serve(base);
    const char *res = result_of(s, "multiplayer strategy game");
    SRV_ASSERT(s, is_section(res));
    serve_stop(s);

    base = optml_tree_new("{\"embedding_dim\": \"5\", \"epochs\": \"1\"}");
    copy_corpus(base, "training");
    write_file(base, "input/data/training/glove.6B.6d.txt", glove, glen);
    expect_client_error(base, "embedding_dim is 5 but the GloVe file");

    base = optml_tree_new("{\"epochs\": \"2\"}");
    copy_corpus(base, "training");
    write_file(base, "input/data/training/glove.6B.6d.txt", glove, glen);
    r = nc_train_run(base);
    ASSERT_EQ_INT(r.exit_code, 0);
    ASSERT_CONTAINS(r.output, "glove.6B.6d.txt is not used: the linear n-gram model has no word embeddings");

    base = optml_tree_new("{\"embedding_dim\": \"8\", \"loss\": \"hinge\"}");
    copy_corpus(base, "training");
    expect_client_error(base, "loss=hinge needs the linear model");
    free(glove);
}
