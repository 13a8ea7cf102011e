/*
 * test_text.c: the news classifier's text side
 * (algorithms/news_classifier/tokenize.c, vocab.c, features.c): the Keras
 * tokenizer and the workshop's regex normalisation against outputs of the
 * Python originals, the Keras word index and pad_sequences, and the hashed
 * word / character n-gram features, TF-IDF and compaction.
 */
#include <math.h>
#include <stdint.h>

#include "support/harness.h"
#include "news_classifier/nc.h"

/* ------------------------------------------------------------ helpers */

struct joined {
    char s[1024];
    size_t n;
    int count;
};

static int join_token(void *ctx, const char *s, size_t len)
{
    struct joined *j = ctx;
    if (j->count++)
        j->s[j->n++] = '|';
    ASSERT(j->n + len < sizeof(j->s));
    memcpy(j->s + j->n, s, len);
    j->n += len;
    j->s[j->n] = 0;
    return 0;
}

static const char *keras(const char *text, struct joined *j)
{
    char buf[512];
    size_t len = strlen(text);
    ASSERT(len < sizeof(buf));
    memset(j, 0, sizeof(*j));
    nc_keras_tokens(text, len, buf, join_token, j);
    return j->s;
}

/* ---------------------------------------------------------- tokenizers */

/* Expected outputs produced with Debian's /usr/bin/python3 by this
 * reimplementation of Keras's text_to_word_sequence (defaults):
 *   filters = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
 *   text = text.lower()
 *   text = text.translate(str.maketrans({c: ' ' for c in filters}))
 *   tokens = [t for t in text.split(' ') if t]
 * and joined with '|' here.  \r and \v are not filters: they stay inside
 * tokens, exactly as in Keras. */
static const char *const KERAS_CASES[][2] = {
    {"Don't Stop-Believin' (LIVE) @ 9:30!!", "don't|stop|believin'|live|9|30"},
    {"self-driving\x09""cars\x0a""and C++_code", "self|driving|cars|and|c|code"},
    {"  a\x0d""b  x\x0b""y  ", "a\x0d""b|x\x0b""y"},
    {"U.S. stocks: 'fall' 3.5%; #1 {ok} [yes] <no> |pipe| ~tilde`", "u|s|stocks|'fall'|3|5|1|ok|yes|no|pipe|tilde"},
    {"it's   JOHN's__world", "it's|john's|world"},
    {"", ""},
    {"---", ""},
};

TEST(news_keras_tokens_match_python_text_to_word_sequence)
{
    struct joined j;
    for (size_t i = 0; i < sizeof(KERAS_CASES) / sizeof(KERAS_CASES[0]); i++)
        ASSERT_EQ_STR(keras(KERAS_CASES[i][0], &j), KERAS_CASES[i][1]);
    /* the spec's own examples */
    ASSERT_EQ_STR(keras("Don't", &j), "don't");
    ASSERT_EQ_INT(j.count, 1);
    ASSERT_EQ_STR(keras("Self-Driving", &j), "self|driving");
    ASSERT_EQ_INT(j.count, 2);
}

static int stop_after_two(void *ctx, const char *s, size_t len)
{
    (void)s;
    (void)len;
    return ++*(int *)ctx == 2;
}

TEST(news_keras_tokens_callback_can_stop)
{
    char buf[64];
    int n = 0;
    nc_keras_tokens("a b c d", 7, buf, stop_after_two, &n);
    ASSERT_EQ_INT(n, 2);
}

/* Expected outputs produced with Debian's /usr/bin/python3 by the
 * workshop's chain (ALGORITHMS.md A.2):
 *   s = s.lower(); s = re.sub(r'\s\W', ' ', s); s = re.sub(r'\W\s', ' ', s)
 *   s = re.sub(r'\s+', ' ', s) */
static const char *const WORKSHOP_CASES[][2] = {
    {"Hello, World !  Foo - Bar", "hello world foo bar"},
    {"  (Reuters) -- Stocks\x09""\x09""fall ; 3%  ", " (reuters stocks fall 3 "},
    {"a !! b", "a b"},
    {"x\x09""\x0a""!y", "x !y"},
    {"don't  stop ?! ok", "don't stop ok"},
    {"A_b _c d_ ,e", "a_b _c d_ e"},
    {"end.", "end."},
    {" .start", " start"},
    {"1 + 2 = 3", "1 2 3"},
    {"x\x1c""!\x1f""y \x0b""\x0c"" z", "x y z"},
    {"!!  !!", "! !!"},
    {"", ""},
};

TEST(news_workshop_normalise_matches_python_re_sub_chain)
{
    char buf[256];
    for (size_t i = 0; i < sizeof(WORKSHOP_CASES) / sizeof(WORKSHOP_CASES[0]); i++) {
        const char *in = WORKSHOP_CASES[i][0];
        size_t n = nc_workshop_normalise(in, strlen(in), buf);
        ASSERT_EQ_INT(n, strlen(WORKSHOP_CASES[i][1]));
        ASSERT_EQ_STR(buf, WORKSHOP_CASES[i][1]);
    }
}

TEST(news_word_tokens_split_on_non_word_bytes)
{
    struct joined j;
    char buf[128];
    const char *t = "Don't STOP-now: caf\xc3\xa9 x_y 42";
    memset(&j, 0, sizeof(j));
    nc_word_tokens(t, strlen(t), buf, join_token, &j);
    ASSERT_EQ_STR(j.s, "don|t|stop|now|caf\xc3\xa9|x_y|42");
}

/* --------------------------------------------------------------- vocab */

TEST(news_vocab_ranks_by_count_then_first_seen)
{
    /* zebra and apple both occur 3 times; zebra is seen first so it wins
     * the tie (not alphabetical order).  mango 2, kiwi 1, fig 1. */
    char *texts[] = {"Zebra apple mango", "APPLE zebra kiwi", "zebra, apple! mango fig"};
    struct nc_vocab v;
    ASSERT(nc_vocab_build(&v, texts, 3, 0, 10000) == 0);
    ASSERT_EQ_INT(v.n_unique, 5);
    ASSERT_EQ_INT(v.n_kept, 5);
    ASSERT(v.words[0] == NULL);
    ASSERT_EQ_STR(v.words[1], "zebra");
    ASSERT_EQ_STR(v.words[2], "apple");
    ASSERT_EQ_STR(v.words[3], "mango");
    ASSERT_EQ_STR(v.words[4], "kiwi");
    ASSERT_EQ_STR(v.words[5], "fig");
    ASSERT_EQ_INT(*nc_strmap_get(&v.index, "kiwi", 4), 4);
    nc_vocab_free(&v);

    /* max_words = 4: ids 1..3 only (Keras keeps ids < num_words) */
    ASSERT(nc_vocab_build(&v, texts, 3, 0, 4) == 0);
    ASSERT_EQ_INT(v.n_unique, 5);
    ASSERT_EQ_INT(v.n_kept, 3);
    ASSERT_EQ_STR(v.words[3], "mango");
    ASSERT(nc_strmap_get(&v.index, "kiwi", 4) == NULL);
    ASSERT(nc_strmap_get(&v.index, "fig", 3) == NULL);
    nc_vocab_free(&v);
}

TEST(news_vocab_sequence_pads_and_truncates_at_the_front)
{
    char *texts[] = {"the cat sat", "the cat", "the"};
    struct nc_vocab v; /* the=1 cat=2 sat=3 */
    ASSERT(nc_vocab_build(&v, texts, 3, 0, 3) == 0);
    ASSERT_EQ_INT(v.n_kept, 2); /* max_words 3: ids 1, 2 */
    uint32_t ids[5];
    const char *t = "dog The sat CAT";
    ASSERT(nc_vocab_sequence(&v, t, strlen(t), 0, 5, ids) == 0);
    /* dog unknown, sat id 3 >= max_words: both dropped; pre-padded */
    uint32_t want1[5] = {0, 0, 0, 1, 2};
    for (int i = 0; i < 5; i++)
        ASSERT_EQ_INT(ids[i], want1[i]);
    nc_vocab_free(&v);

    ASSERT(nc_vocab_build(&v, texts, 3, 0, 100) == 0);
    const char *u = "sat the cat sat the cat sat";
    uint32_t ids4[4];
    ASSERT(nc_vocab_sequence(&v, u, strlen(u), 0, 4, ids4) == 0);
    /* pre-truncation keeps the last 4 ids: sat the cat sat */
    uint32_t want2[4] = {3, 1, 2, 3};
    for (int i = 0; i < 4; i++)
        ASSERT_EQ_INT(ids4[i], want2[i]);
    /* an empty text is all padding */
    ASSERT(nc_vocab_sequence(&v, "", 0, 0, 4, ids4) == 0);
    for (int i = 0; i < 4; i++)
        ASSERT_EQ_INT(ids4[i], 0);
    nc_vocab_free(&v);
}

TEST(news_vocab_normalise_applies_the_workshop_regexes)
{
    /* "say 'hi' now" normalises to "say hi now" (" '" and "' " become
     * spaces); Keras alone keeps the apostrophes: "'hi'" is its own word. */
    char *texts[] = {"Say 'hi' now", "hi"};
    struct nc_vocab v;
    ASSERT(nc_vocab_build(&v, texts, 2, 1, 100) == 0);
    ASSERT_EQ_INT(v.n_unique, 3);
    ASSERT_EQ_STR(v.words[1], "hi");
    ASSERT_EQ_STR(v.words[2], "say");
    ASSERT_EQ_STR(v.words[3], "now");
    uint32_t ids[3];
    const char *q = "now 'HI' x";
    ASSERT(nc_vocab_sequence(&v, q, strlen(q), 1, 3, ids) == 0);
    ASSERT_EQ_INT(ids[0], 0);
    ASSERT_EQ_INT(ids[1], 3);
    ASSERT_EQ_INT(ids[2], 1);
    /* without normalisation "'hi'" is not "hi" */
    ASSERT(nc_vocab_sequence(&v, q, strlen(q), 0, 3, ids) == 0);
    ASSERT_EQ_INT(ids[1], 0);
    ASSERT_EQ_INT(ids[2], 3);
    nc_vocab_free(&v);
    ASSERT(nc_vocab_build(&v, texts, 2, 0, 100) == 0);
    ASSERT_EQ_INT(v.n_unique, 4);
    ASSERT_EQ_STR(v.words[2], "'hi'");
    nc_vocab_free(&v);
}

/* ------------------------------------------------------------ features */

static int ids_strictly_ascending(const struct nc_sparse *s, size_t from, size_t to)
{
    for (size_t i = from + 1; i < to; i++)
        if (s->id[i] <= s->id[i - 1])
            return 0;
    return 1;
}

static float sum_w(const struct nc_sparse *s, size_t from, size_t to)
{
    float t = 0;
    for (size_t i = from; i < to; i++)
        t += s->w[i];
    return t;
}

/* A hash space large enough that collisions among a few dozen n-grams are
 * practically impossible (the test would need a 1-in-10^7 coincidence). */
#define BIG_BUCKETS (1u << 30)

TEST(news_features_word_unigrams_and_bigrams_counted)
{
    struct nc_featcfg cfg = {BIG_BUCKETS, 2, 0, 0};
    struct nc_sparse s = {0};
    size_t nw = 99;
    /* tokens a b a b: a x2, b x2, "a b" x2, "b a" x1 */
    ASSERT(nc_features(&cfg, "A b, a-B", 8, &s, &nw) == 0);
    ASSERT_EQ_INT(nw, 4);
    ASSERT_EQ_INT(s.n, 4);
    ASSERT(ids_strictly_ascending(&s, 0, s.n));
    ASSERT_NEAR(sum_w(&s, 0, s.n), 7.0, 0);
    int twos = 0, ones = 0;
    for (size_t i = 0; i < s.n; i++) {
        ASSERT(s.id[i] < BIG_BUCKETS);
        twos += s.w[i] == 2.0f;
        ones += s.w[i] == 1.0f;
    }
    ASSERT_EQ_INT(twos, 3);
    ASSERT_EQ_INT(ones, 1);
    /* the same words in another case and punctuation: same features */
    struct nc_sparse t = {0};
    size_t nw2;
    ASSERT(nc_features(&cfg, "a B A b", 7, &t, &nw2) == 0);
    ASSERT_EQ_INT(t.n, s.n);
    for (size_t i = 0; i < s.n; i++) {
        ASSERT_EQ_INT(t.id[i], s.id[i]);
        ASSERT(t.w[i] == s.w[i]);
    }
    /* unigrams only */
    cfg.word_ngrams = 1;
    ASSERT(nc_features(&cfg, "a b a b", 7, &t, &nw2) == 0);
    ASSERT_EQ_INT(nw2, 2);
    ASSERT_EQ_INT(t.n, 2);
    nc_sparse_free(&s);
    nc_sparse_free(&t);
}

TEST(news_features_char_wb_ngrams_of_padded_words)
{
    struct nc_featcfg cfg = {BIG_BUCKETS, 1, 2, 5};
    struct nc_sparse s = {0};
    size_t nw;
    ASSERT(nc_features(&cfg, "AB", 2, &s, &nw) == 0);
    ASSERT_EQ_INT(nw, 1); /* the word "ab" */
    ASSERT(s.w[0] == 1.0f);
    /* " ab " with n = 2..5: " a" "ab" "b " | " ab" "ab " | " ab " = 3 + 2 + 1
     * = 6 n-grams: as scikit-learn's char_wb, the n-grams stop at the first
     * n that covers the whole padded word, counted once. */
    ASSERT_EQ_INT(s.n - nw, 6);
    ASSERT(ids_strictly_ascending(&s, nw, s.n));
    ASSERT_NEAR(sum_w(&s, nw, s.n), 6.0, 0);
    for (size_t i = nw; i < s.n; i++)
        ASSERT(s.w[i] == 1.0f);

    /* a longer word: "abcd" -> " abcd " (6 chars), n = 2..5:
     * 5 + 4 + 3 + 2 = 14 distinct n-grams */
    ASSERT(nc_features(&cfg, "abcd", 4, &s, &nw) == 0);
    ASSERT_EQ_INT(s.n - nw, 14);
    ASSERT_NEAR(sum_w(&s, nw, s.n), 14.0, 0);
    /* two words: each word's n-grams, the shared ones merged */
    ASSERT(nc_features(&cfg, "ab ab", 5, &s, &nw) == 0);
    ASSERT_EQ_INT(nw, 1);
    ASSERT(s.w[0] == 2.0f);
    ASSERT_EQ_INT(s.n - nw, 6);
    ASSERT_NEAR(sum_w(&s, nw, s.n), 12.0, 0);
    /* no characters configured: no char group */
    struct nc_featcfg words_only = {BIG_BUCKETS, 1, 0, 0};
    ASSERT(nc_features(&words_only, "abcd", 4, &s, &nw) == 0);
    ASSERT_EQ_INT(s.n, nw);
    /* empty text: nothing */
    ASSERT(nc_features(&cfg, "", 0, &s, &nw) == 0);
    ASSERT_EQ_INT(s.n, 0);
    ASSERT_EQ_INT(nw, 0);
    nc_sparse_free(&s);
}

TEST(news_features_stay_within_small_bucket_spaces)
{
    struct nc_featcfg cfg = {7, 3, 1, 6};
    struct nc_sparse s = {0};
    size_t nw;
    const char *t = "Stocks rally as tech giants report earnings; oil slips";
    ASSERT(nc_features(&cfg, t, strlen(t), &s, &nw) == 0);
    ASSERT(nw <= 7 && s.n - nw <= 7);
    ASSERT(ids_strictly_ascending(&s, 0, nw));
    ASSERT(ids_strictly_ascending(&s, nw, s.n));
    for (size_t i = 0; i < s.n; i++)
        ASSERT(s.id[i] < 7);
    nc_sparse_free(&s);
}

TEST(news_compact_maps_known_buckets_and_unknown_to_n_used)
{
    uint32_t used[] = {3, 10, 20};
    uint32_t ids[] = {10, 4, 20, 3, 99, 0, 21};
    float w[7] = {0};
    struct nc_sparse s = {ids, w, 7, 7};
    nc_compact(used, NULL, 3, &s);
    uint32_t want[] = {1, 3, 2, 0, 3, 3, 3};
    for (int i = 0; i < 7; i++)
        ASSERT_EQ_INT(ids[i], want[i]);
    /* no known bucket at all */
    uint32_t one[] = {5};
    struct nc_sparse e = {one, w, 1, 1};
    nc_compact(NULL, NULL, 0, &e);
    ASSERT_EQ_INT(one[0], 0);
}

TEST(news_tfidf_sublinear_and_unit_norm_per_group)
{
    struct nc_featcfg cfg = {BIG_BUCKETS, 2, 2, 4};
    struct nc_sparse s = {0};
    size_t nw;
    const char *t = "oil oil prices rise as oil demand grows";
    ASSERT(nc_features(&cfg, t, strlen(t), &s, &nw) == 0);
    ASSERT(nw > 2 && s.n > nw + 2);
    /* used = every bucket but the first of the text (ascending) */
    size_t n_used = 0;
    uint32_t *used = malloc(s.n * sizeof(uint32_t));
    for (size_t i = 0; i < s.n; i++)
        used[n_used++] = s.id[i];
    /* sort + unique */
    for (size_t i = 1; i < n_used; i++)
        for (size_t j = i; j > 0 && used[j - 1] > used[j]; j--) {
            uint32_t x = used[j];
            used[j] = used[j - 1];
            used[j - 1] = x;
        }
    size_t u = 0;
    for (size_t i = 0; i < n_used; i++)
        if (!u || used[u - 1] != used[i])
            used[u++] = used[i];
    n_used = u;
    float counts[4096];
    ASSERT(s.n < 4096);
    for (size_t i = 0; i < s.n; i++)
        counts[i] = s.w[i];
    nc_compact(used, NULL, (uint32_t)n_used, &s);
    for (size_t i = 0; i < s.n; i++)
        ASSERT(s.id[i] < n_used);
    float *idf = malloc((n_used + 1) * sizeof(float));
    for (size_t i = 0; i <= n_used; i++)
        idf[i] = 1.0f;
    nc_tfidf(&s, nw, idf);
    double ssw = 0, ssc = 0;
    for (size_t i = 0; i < nw; i++)
        ssw += (double)s.w[i] * s.w[i];
    for (size_t i = nw; i < s.n; i++)
        ssc += (double)s.w[i] * s.w[i];
    ASSERT_NEAR(ssw, 1.0, 1e-5);
    ASSERT_NEAR(ssc, 1.0, 1e-5);
    /* sublinear tf: weight ratio of a count-3 ("oil") to a count-1 entry is
     * (1 + ln 3) / 1 */
    float w3 = 0, w1 = 0;
    for (size_t i = 0; i < nw; i++) {
        if (counts[i] == 3.0f)
            w3 = s.w[i];
        if (counts[i] == 1.0f)
            w1 = s.w[i];
    }
    ASSERT(w3 > 0 && w1 > 0);
    ASSERT_NEAR(w3 / w1, 1.0 + log(3.0), 1e-5);
    /* idf scales before the norm: doubling one feature's idf doubles its
     * share relative to the others */
    nc_sparse_free(&s);
    free(idf);
    free(used);
}

TEST(news_rows_append_builds_csr)
{
    struct nc_rows r = {0};
    uint32_t a[] = {1, 5}, b[] = {7};
    float wa[] = {0.5f, 0.25f}, wb[] = {1.0f};
    struct nc_sparse sa = {a, wa, 2, 2}, sb = {b, wb, 1, 1}, se = {NULL, NULL, 0, 0};
    ASSERT(nc_rows_append(&r, &sa) == 0);
    ASSERT(nc_rows_append(&r, &se) == 0);
    ASSERT(nc_rows_append(&r, &sb) == 0);
    ASSERT_EQ_INT(r.n, 3);
    ASSERT_EQ_INT(r.nnz, 3);
    ASSERT_EQ_INT(r.off[0], 0);
    ASSERT_EQ_INT(r.off[1], 2);
    ASSERT_EQ_INT(r.off[2], 2);
    ASSERT_EQ_INT(r.off[3], 3);
    ASSERT_EQ_INT(r.id[2], 7);
    ASSERT(r.w[1] == 0.25f);
    nc_rows_free(&r);
}

TEST(news_empty_rows_and_texts_from_fresh_buffers)
{
    /* a text without tokens into a never-used nc_sparse, and an empty row
     * first into a never-used nc_rows (both start with NULL arrays) */
    struct nc_featcfg cfg = {64, 2, 0, 0};
    struct nc_sparse s = {0};
    size_t nw = 9;
    ASSERT(nc_features(&cfg, "!!! ???", 7, &s, &nw) == 0);
    ASSERT_EQ_INT(s.n, 0);
    ASSERT_EQ_INT(nw, 0);
    struct nc_rows r = {0};
    ASSERT(nc_rows_append(&r, &s) == 0);
    ASSERT_EQ_INT(r.n, 1);
    ASSERT_EQ_INT(r.nnz, 0);
    ASSERT(nc_features(&cfg, "one two", 7, &s, &nw) == 0);
    ASSERT(nc_rows_append(&r, &s) == 0);
    ASSERT_EQ_INT(r.nnz, 3);
    ASSERT_EQ_INT(r.off[2], 3);
    nc_rows_free(&r);
    nc_sparse_free(&s);
}
