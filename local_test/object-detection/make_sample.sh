#!/usr/bin/env bash
# Writes the object-detection sample of local_test/ from Debian's
# dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), as the tests'
# scenes are made (tests/fixtures/od_scenes.h): 128 x 128 scenes with 1 or 2
# Fashion-MNIST items of three classes (0 T-shirt/top, 1 trouser,
# 2 pullover) pasted at random positions and scales (a fifth to half the
# side), tinted, on a noisy background (noise in 4 x 4 pixel cells, so the
# PNGs stay small), with exact boxes:
#   test_dir/input/data/train/train.rec            400 scenes, im2rec RecordIO (PNG bytes)
#   test_dir/input/data/validation/validation.rec  100 held-out scenes (Fashion-MNIST's test items)
#   payload.jpg, payload.png   two more held-out scenes as request images
#   payload.labels             their true objects: class xmin ymin xmax ymax (fractions)
# and the job's configuration (hyperparameters for a quick run).  The same
# bytes on every run (fixed seeds).  The JPEG is encoded by libjpeg-turbo
# through a small C program compiled here (cc, libjpeg62-turbo-dev).
#   Usage: local_test/object-detection/make_sample.sh   (needs /usr/bin/python3 with numpy)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=/usr/share/datasets/fashion-mnist
[ -f "$src/train-images-idx3-ubyte.gz" ] || { echo "make_sample.sh: apt-get install dataset-fashion-mnist" >&2; exit 2; }
tmp=$(mktemp -d /tmp/od-sample.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# rgb2jpg W H < raw RGB > JPEG (quality 90)
cat >"$tmp/rgb2jpg.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>
int main(int argc, char **argv)
{
    int w = atoi(argv[1]), h = atoi(argv[2]);
    unsigned char *px = malloc((size_t)w * h * 3);
    if (!px || fread(px, 1, (size_t)w * h * 3, stdin) != (size_t)w * h * 3)
        return 1;
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, stdout);
    c.image_width = (JDIMENSION)w, c.image_height = (JDIMENSION)h, c.input_components = 3, c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    jpeg_start_compress(&c, TRUE);
    for (int y = 0; y < h; y++) {
        JSAMPROW row = px + (size_t)y * w * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(px);
    return 0;
}
CEOF
cc -O2 -o "$tmp/rgb2jpg" "$tmp/rgb2jpg.c" -ljpeg
/usr/bin/python3 - "$src" "$here" "$tmp/rgb2jpg" <<'PYEOF'
import gzip, os, struct, subprocess, sys, zlib
import numpy as np
src, here, rgb2jpg = sys.argv[1:4]
SIDE, CLASSES, MAX_OBJ = 128, 3, 2

def items(stem):
    img = gzip.open(f"{src}/{stem}-images-idx3-ubyte.gz").read()
    lab = gzip.open(f"{src}/{stem}-labels-idx1-ubyte.gz").read()
    x = np.frombuffer(img, np.uint8, offset=16).reshape(-1, 28, 28)
    y = np.frombuffer(lab, np.uint8, offset=8)
    keep = y < CLASSES
    return x[keep], y[keep]

def resize(a, s):
    # bilinear, pixel centres aligned, as the fixture's img_resize_bilinear
    src_c = (np.arange(s) + 0.5) * 28 / s - 0.5
    c = np.clip(src_c, 0, 27)
    i0 = np.floor(c).astype(int); i1 = np.minimum(i0 + 1, 27); f = c - i0
    a = a.astype(np.float32)
    rows = a[i0] * (1 - f)[:, None] + a[i1] * f[:, None]
    out = rows[:, i0] * (1 - f)[None, :] + rows[:, i1] * f[None, :]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)

def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0])); iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)

def scene(rng, x, y):
    cells = rng.integers(0, 80, size=(SIDE // 4, SIDE // 4, 3), dtype=np.int64)
    img = np.repeat(np.repeat(cells, 4, axis=0), 4, axis=1).astype(np.float64)
    objs = []
    for _ in range(1 + int(rng.integers(0, MAX_OBJ))):
        k = int(rng.integers(0, len(x)))
        s = int(rng.integers(SIDE // 5, SIDE // 2 + 1))
        big = resize(x[k], s)
        ys, xs = np.nonzero(big)
        if len(xs) == 0:
            continue
        bx0, bx1, by0, by1 = xs.min(), xs.max(), ys.min(), ys.max()
        for _t in range(20):
            px0 = int(rng.integers(0, SIDE - s + 1)); py0 = int(rng.integers(0, SIDE - s + 1))
            box = ((px0 + bx0) / SIDE, (py0 + by0) / SIDE, (px0 + bx1 + 1) / SIDE, (py0 + by1 + 1) / SIDE)
            if all(iou(box, o[1]) <= 0.2 for o in objs):
                tint = rng.integers(150, 256, size=3)
                a = big.astype(np.float64)[:, :, None] / 255
                patch = img[py0:py0 + s, px0:px0 + s]
                img[py0:py0 + s, px0:px0 + s] = patch * (1 - a) + tint[None, None, :] * a
                objs.append((int(y[k]), box))
                break
    return np.clip(img + 0.5, 0, 255).astype(np.uint8), objs

def png(img):
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[r].tobytes() for r in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

def record(payload):
    # MXNet RecordIO: magic, (cflag 0 << 29) | length, payload padded to 4 bytes
    pad = (-len(payload)) % 4
    return struct.pack("<II", 0xCED7230A, len(payload)) + payload + b"\x00" * pad

def im2rec(i, img, objs):
    labels = [2.0, 5.0]
    for c, b in objs:
        labels += [float(c), *b]
    head = struct.pack("<IfQQ", len(labels), 0.0, i, 0) + struct.pack(f"<{len(labels)}f", *labels)
    return head + png(img)

def write_rec(channel, stem, n, seed, x, y):
    d = f"{here}/test_dir/input/data/{channel}"
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(seed)
    with open(f"{d}/{stem}.rec", "wb") as f:
        for i in range(n):
            img, objs = scene(rng, x, y)
            f.write(record(im2rec(i, img, objs)))

xt, yt = items("train")
xe, ye = items("t10k")
write_rec("train", "train", 400, 2026, xt, yt)
write_rec("validation", "validation", 100, 16, xe[:1000], ye[:1000])
rng = np.random.default_rng(7)
lines = []
for name in ("payload.jpg", "payload.png"):
    img, objs = scene(rng, xe[1000:], ye[1000:])
    if name.endswith(".png"):
        data = png(img)
    else:
        data = subprocess.run([rgb2jpg, str(SIDE), str(SIDE)], input=img.tobytes(), stdout=subprocess.PIPE, check=True).stdout
    with open(f"{here}/{name}", "wb") as f:
        f.write(data)
    lines += [f"{name}: {c} {b[0]:.4f} {b[1]:.4f} {b[2]:.4f} {b[3]:.4f}\n" for c, b in objs]
with open(f"{here}/payload.labels", "w") as f:
    f.write("".join(lines))
PYEOF
mkdir -p "$here/test_dir/input/config"
echo '{"num_classes": "3", "num_training_samples": "400", "image_shape": "128", "mini_batch_size": "16", "epochs": "8", "optimizer": "adam", "learning_rate": "0.002", "lr_scheduler_step": "6", "lr_scheduler_factor": "0.5"}' \
  >"$here/test_dir/input/config/hyperparameters.json"
echo '{"train": {"TrainingInputMode": "File", "ContentType": "application/x-recordio"}, "validation": {"TrainingInputMode": "File", "ContentType": "application/x-recordio"}}' \
  >"$here/test_dir/input/config/inputdataconfig.json"
echo '{"current_host": "algo-1", "hosts": ["algo-1"]}' >"$here/test_dir/input/config/resourceConfig.json"
