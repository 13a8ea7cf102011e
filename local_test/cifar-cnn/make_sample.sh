#!/usr/bin/env bash
# Writes the cifar-cnn sample of local_test/ from Debian's
# dataset-fashion-mnist (/usr/share/datasets/fashion-mnist): the first 400
# training images and the first 100 test images as gzip'd IDX pairs in
# test_dir/input/data/{train,eval}/ (the names Fashion-MNIST ships), and
# payload.json: the next two test images as TF Serving instances, scaled by
# 1/255 as keras-cifar10 trains (payload.labels: their true classes).
#   Usage: local_test/cifar-cnn/make_sample.sh   (needs /usr/bin/python3 with numpy)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=/usr/share/datasets/fashion-mnist
[ -f "$src/train-images-idx3-ubyte.gz" ] || { echo "make_sample.sh: apt-get install dataset-fashion-mnist" >&2; exit 2; }
/usr/bin/python3 - "$src" "$here" <<'PYEOF'
import gzip, json, os, struct, sys
import numpy as np
src, here = sys.argv[1], sys.argv[2]
def read(stem):
    img = gzip.open(f"{src}/{stem}-images-idx3-ubyte.gz").read()
    lab = gzip.open(f"{src}/{stem}-labels-idx1-ubyte.gz").read()
    return np.frombuffer(img, np.uint8, offset=16).reshape(-1, 28, 28), np.frombuffer(lab, np.uint8, offset=8)
def write(channel, stem, x, y):
    d = f"{here}/test_dir/input/data/{channel}"
    os.makedirs(d, exist_ok=True)
    # mtime 0: the same bytes on every run
    with open(f"{d}/{stem}-images-idx3-ubyte.gz", "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
        g.write(struct.pack(">IIII", 0x803, len(x), 28, 28) + x.tobytes())
    with open(f"{d}/{stem}-labels-idx1-ubyte.gz", "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
        g.write(struct.pack(">II", 0x801, len(y)) + y.tobytes())
xt, yt = read("train")
xe, ye = read("t10k")
write("train", "train", xt[:400], yt[:400])
write("eval", "t10k", xe[:100], ye[:100])
inst = [[[[round(float(v) / 255, 4)] for v in row] for row in img] for img in xe[100:102]]
with open(f"{here}/payload.json", "w") as f:
    json.dump({"instances": inst}, f, separators=(",", ":"))
with open(f"{here}/payload.labels", "w") as f:
    f.write("".join(f"{int(v)}\n" for v in ye[100:102]))
PYEOF
mkdir -p "$here/test_dir/input/config"
echo '{"epochs": "5", "batch-size": "32", "learning-rate": "0.001", "augmentation": "false"}' >"$here/test_dir/input/config/hyperparameters.json"
echo '{"train": {"TrainingInputMode": "File", "ContentType": "application/x-idx"}, "eval": {"TrainingInputMode": "File", "ContentType": "application/x-idx"}}' \
  >"$here/test_dir/input/config/inputdataconfig.json"
echo '{"current_host": "algo-1", "hosts": ["algo-1"]}' >"$here/test_dir/input/config/resourceConfig.json"
