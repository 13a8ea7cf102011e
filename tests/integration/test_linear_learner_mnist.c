/*
 * test_linear_learner_mnist.c: multiclass linear-learner on a subsample of
 * Fashion-MNIST (Debian's dataset-fashion-mnist: 784 pixel features, 10
 * classes): 5000 train / 1000 validation / 2000 test rows, compared with
 * scikit-learn's multinomial LogisticRegression on the same rows, the
 * multiclass metric lines checked, and the model served.
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

/* Defined in test_linear_learner.c. */
int ll_missing(void);
struct run_result ll_train_run(const char *base, const char *const *extra);
char *ll_python(const char *dir, const char *script, const char *args);
double ll_value_after(const char *text, const char *key);

#define FMNIST "/usr/share/datasets/fashion-mnist"

static const char SPLIT[] =
    "import gzip, os, sys, numpy as np\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.preprocessing import StandardScaler\n"
    "from sklearn.pipeline import make_pipeline\n"
    "base = sys.argv[1]; d = '" FMNIST "/'\n"
    "def imgs(f):\n"
    "    with gzip.open(d + f) as g: return np.frombuffer(g.read(), np.uint8, offset=16).reshape(-1, 784)\n"
    "def labs(f):\n"
    "    with gzip.open(d + f) as g: return np.frombuffer(g.read(), np.uint8, offset=8)\n"
    "X, y = imgs('train-images-idx3-ubyte.gz'), labs('train-labels-idx1-ubyte.gz')\n"
    "Xt, yt = imgs('t10k-images-idx3-ubyte.gz'), labs('t10k-labels-idx1-ubyte.gz')\n"
    "rng = np.random.RandomState(0); p = rng.permutation(len(y)); te = rng.permutation(len(yt))[:2000]\n"
    "tr, va = p[:5000], p[5000:6000]\n"
    "def w(rel, X, y):\n"
    "    q = os.path.join(base, rel); os.makedirs(os.path.dirname(q), exist_ok=True)\n"
    "    np.savetxt(q, np.column_stack([y, X]).astype(np.int32), delimiter=',', fmt='%d')\n"
    "w('input/data/train/train.csv', X[tr], y[tr]); w('input/data/validation/val.csv', X[va], y[va])\n"
    "w('input/data/test/test.csv', Xt[te], yt[te])\n"
    "np.savetxt(os.path.join(base, 'rows.csv'), Xt[te[:3]], delimiter=',', fmt='%d')\n"
    "import warnings; warnings.filterwarnings('ignore')\n"
    "m = make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)).fit(X[tr].astype(float), y[tr])\n"
    "print('sk_accuracy=%.4f' % m.score(Xt[te].astype(float), yt[te]))\n";

TEST_TIMEOUT(ll_fashion_mnist_multiclass, 60)
{
    if (ll_missing())
        return;
    if (!file_exists(FMNIST "/train-images-idx3-ubyte.gz"))
        test_fail(__FILE__, __LINE__, "dataset-fashion-mnist is not installed (bash .ci/deps.sh)");
    char *base = optml_tree_new("{\"predictor_type\": \"multiclass_classifier\", \"num_classes\": \"10\", "
                                "\"mini_batch_size\": \"100\", \"epochs\": \"10\"}");
    char *sk = ll_python(base, SPLIT, base);
    double sk_acc = ll_value_after(sk, "sk_accuracy=");
    free(sk);
    ASSERT(sk_acc > 0.7);
    struct run_result r = ll_train_run(base, NULL);
    if (r.exit_code != 0)
        test_fail(__FILE__, __LINE__, "train failed (%d):\n%s", r.exit_code, r.output);
    double acc = ll_value_after(r.output, "test multiclass_accuracy <score>=");
    fprintf(stderr, "fashion-mnist (5000 rows) held-out accuracy: optml %.4f, scikit-learn %.4f\n", acc, sk_acc);
    ASSERT(acc >= sk_acc - 0.01);
    const char *names[] = {"multiclass_accuracy", "multiclass_top_k_accuracy_3", "macro_f_1.000", "macro_precision",
                           "macro_recall", "dcg", "multiclass_cross_entropy_objective"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ASSERT(has_line_matching(r.output, strf("#quality_metric: host=algo-1, validation %s <(score|loss)>=[0-9.e-]+$", names[i])));
        ASSERT(has_line_matching(r.output, strf("#quality_metric: host=algo-1, test %s <(score|loss)>=[0-9.e-]+$", names[i])));
    }
    ASSERT(has_line_matching(r.output, "epoch=0, validation multiclass_cross_entropy_objective <loss>="));
    free(r.output);

    const char *extra[] = {module_path_env(), "OPTML_ALGORITHM=linear-learner", NULL};
    struct served *s = serve_start_ready(base, extra);
    char *rows = tree_file(base, "rows.csv");
    struct http_response *h = serve_invoke(s, "text/csv", NULL, NULL, rows, strlen(rows));
    EXPECT_STATUS(s, h, 200);
    json_t *j = EXPECT_JSON(s, h);
    json_t *p = json_object_get(j, "predictions");
    SRV_ASSERT(s, json_array_size(p) == 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(p, i), *score = json_object_get(e, "score");
        SRV_ASSERT(s, json_array_size(score) == 10);
        double sum = 0, best = -1;
        long arg = -1;
        for (size_t k = 0; k < 10; k++) {
            double v = json_number_value(json_array_get(score, k));
            sum += v;
            if (v > best)
                best = v, arg = (long)k;
        }
        SRV_ASSERT(s, fabs(sum - 1) < 1e-4);
        SRV_ASSERT(s, json_integer_value(json_object_get(e, "predicted_label")) == arg);
    }
    json_decref(j);
    serve_stop(s);
}
