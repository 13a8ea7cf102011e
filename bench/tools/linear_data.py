#!/usr/bin/env python3
"""Data preparation and the scikit-learn end-to-end runs for bench/linear.sh.
Run with Debian's /usr/bin/python3 (python3-numpy, python3-sklearn).

  synth-test PATH [N]     N (default 200,000) held-out rows from the distribution of the
                          peer's 2,000,000 x 25 synthetic regression (same w: numpy
                          default_rng(0); fresh X and noise from default_rng(1)), CSV,
                          label first, %.7g, no header
  fmnist-csv DIR          Fashion-MNIST as DIR/train.csv (60,000 rows) and DIR/test.csv
                          (10,000 rows): label first, then 784 pixel values 0..255
  sk-synth TRAIN TEST     scikit-learn fed by NumPy's parser: np.loadtxt(TRAIN) ->
                          SGDRegressor(max_iter=2, tol=None) (as the peer's synth-sgd) ->
                          RMSE on np.loadtxt(TEST)
  sk-fmnist TRAIN TEST    np.loadtxt -> /255 -> SGDClassifier(log_loss, max_iter=5, tol=None)
                          (as the peer's fmnist-sgd) -> accuracy on TEST
Each sk-* prints one 'RESULT ...' line with parse, fit and total seconds.
"""
import gzip
import os
import sys
import time
import warnings

import numpy as np

FMNIST = os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")


def synth_test(path, n):
    w = np.random.default_rng(0).standard_normal(25, dtype=np.float32)  # the peer's synth_w()
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, 25), dtype=np.float32)
    y = X @ w + np.float32(0.1) * rng.standard_normal(n, dtype=np.float32)
    np.savetxt(path, np.column_stack([y, X]), fmt="%.7g", delimiter=",")


def read_idx(path):
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fmnist_csv(out):
    os.makedirs(out, exist_ok=True)
    for name, img, lab in (("train", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                           ("test", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")):
        x = read_idx(f"{FMNIST}/{img}").reshape(-1, 784)
        y = read_idx(f"{FMNIST}/{lab}")
        np.savetxt(f"{out}/{name}.csv", np.column_stack([y, x]).astype(np.int64), fmt="%d", delimiter=",")


def sk_synth(train, test):
    import sklearn
    from sklearn.linear_model import SGDRegressor
    t0 = time.perf_counter()
    a = np.loadtxt(train, delimiter=",", dtype=np.float32)
    t_parse = time.perf_counter() - t0
    model = SGDRegressor(max_iter=2, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t1 = time.perf_counter()
        model.fit(a[:, 1:], a[:, 0])
        t_fit = time.perf_counter() - t1
    t_total = time.perf_counter() - t0
    b = np.loadtxt(test, delimiter=",", dtype=np.float32)
    rmse = float(np.sqrt(np.mean((model.predict(b[:, 1:]) - b[:, 0]) ** 2)))
    print(f"RESULT sk-synth system=sklearn-{sklearn.__version__}+numpy-{np.__version__} model=SGDRegressor-2ep "
          f"n_train={a.shape[0]} n_test={b.shape[0]} parse_s={t_parse:.2f} fit_s={t_fit:.2f} "
          f"csv_to_model_s={t_total:.2f} rows_per_s={2 * a.shape[0] / t_fit:.0f} test_rmse={rmse:.4f}")


def sk_fmnist(train, test):
    import sklearn
    from sklearn.linear_model import SGDClassifier
    t0 = time.perf_counter()
    a = np.loadtxt(train, delimiter=",", dtype=np.float32)
    t_parse = time.perf_counter() - t0
    model = SGDClassifier(loss="log_loss", max_iter=5, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t1 = time.perf_counter()
        model.fit(a[:, 1:] / 255.0, a[:, 0].astype(np.int64))
        t_fit = time.perf_counter() - t1
    t_total = time.perf_counter() - t0
    b = np.loadtxt(test, delimiter=",", dtype=np.float32)
    acc = float((model.predict(b[:, 1:] / 255.0) == b[:, 0].astype(np.int64)).mean())
    print(f"RESULT sk-fmnist system=sklearn-{sklearn.__version__}+numpy-{np.__version__} model=SGDClassifier-logloss-5ep "
          f"n_train={a.shape[0]} n_test={b.shape[0]} parse_s={t_parse:.2f} fit_s={t_fit:.2f} "
          f"csv_to_model_s={t_total:.2f} rows_per_s={5 * a.shape[0] / t_fit:.0f} test_acc={acc:.4f}")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "synth-test":
        synth_test(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 200_000)
    elif cmd == "fmnist-csv":
        fmnist_csv(sys.argv[2])
    elif cmd == "sk-synth":
        sk_synth(sys.argv[2], sys.argv[3])
    elif cmd == "sk-fmnist":
        sk_fmnist(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
