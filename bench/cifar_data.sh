#!/usr/bin/env bash
# cifar-cnn data path (issue #15, item 4: "streamed: memory must not grow
# with the data set"): `optml train` of cifar-cnn reads and checks every
# record of every channel before training (today it stops there), so its
# wall time and peak RSS on data sets of growing size measure the reading
# throughput (images/s) and show whether memory grows with the data.
# Formats: CIFAR-shaped TFRecord (3,126-byte records, as
# generate_cifar10_tfrecords.py writes them), CIFAR-10 binary batches
# (3,073-byte records) and gzip'd IDX (28x28, Fashion-MNIST's layout), each
# at SIZES images.  Median of RUNS runs; the wall time includes start-up.
# Writes bench/results/cifar-cnn-data.txt (raw log: cifar-cnn-data.raw.log).
# Env: OPTML_BUILD=build RUNS=3 SIZES="10000 50000 200000" OUT=...
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${OPTML_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
OPTML=$BUILD/bin/optml
RUNS=${RUNS:-3}
SIZES=${SIZES:-10000 50000 200000}
OUT=${OUT:-$REPO/bench/results/cifar-cnn-data.txt}
RAW=${OUT%.txt}.raw.log
PY=/usr/bin/python3
W=$(mktemp -d /tmp/optml-bench-cifar.XXXXXX)
trap 'rm -rf "$W"' EXIT
die() { echo "bench/cifar_data.sh: $*" >&2; exit 1; }
[ -x "$OPTML" ] || die "$OPTML missing: run make first"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
$PY -c 'import numpy' 2>/dev/null || die "$PY with numpy needed"

# make FORMAT N DIR: DIR/input/data/train holding N images in FORMAT.
make_data() {
  $PY - "$1" "$2" "$3/input/data/train" <<'PYEOF'
import gzip, os, struct, sys
import numpy as np
fmt, n, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(d, exist_ok=True)
rng = np.random.default_rng(1)
def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF
def mask(c): return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF
def varint(v):
    out = b''
    while v >= 0x80:
        out += bytes([(v & 0x7F) | 0x80]); v >>= 7
    return out + bytes([v])
def ld(f, b): return varint(f << 3 | 2) + varint(len(b)) + b
if fmt == 'tfrecord':
    # ten distinct records (one per label), repeated: reading costs the same
    recs = []
    for label in range(10):
        img = rng.integers(0, 256, 3072, dtype=np.uint8).tobytes()
        p = ld(1, ld(1, ld(1, b'image') + ld(2, ld(1, ld(1, img)))) +
               ld(1, ld(1, b'label') + ld(2, ld(3, ld(1, varint(label))))))
        l = struct.pack('<Q', len(p))
        recs.append(l + struct.pack('<I', mask(crc32c(l))) + p + struct.pack('<I', mask(crc32c(p))))
    with open(os.path.join(d, 'train.tfrecords'), 'wb') as f:
        for i in range(n):
            f.write(recs[i % 10])
elif fmt == 'cifar-bin':
    for b in range(0, n, 10000):
        m = min(10000, n - b)
        rec = rng.integers(0, 256, (m, 3073), dtype=np.uint8)
        rec[:, 0] %= 10
        rec.tofile(os.path.join(d, 'data_batch_%d.bin' % (b // 10000 + 1)))
else:
    img = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    lab = (np.arange(n) % 10).astype(np.uint8)
    with gzip.open(os.path.join(d, 'train-images-idx3-ubyte.gz'), 'wb', compresslevel=6) as f:
        f.write(struct.pack('>IIII', 0x803, n, 28, 28)); f.write(img.tobytes())
    with gzip.open(os.path.join(d, 'train-labels-idx1-ubyte.gz'), 'wb', compresslevel=6) as f:
        f.write(struct.pack('>II', 0x801, n)); f.write(lab.tobytes())
PYEOF
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

{
  echo "# cifar-cnn data path: optml train reading and checking every record (no training yet)"
  echo "# command: bash bench/cifar_data.sh (RUNS=$RUNS SIZES=\"$SIZES\"), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs"
  echo "# wall s and peak RSS MiB: median of $RUNS runs; images/s = images / wall"
  printf '%-10s %8s %10s %8s %10s %12s\n' format images "data MB" "wall s" "RSS MiB" "images/s"
} >"$OUT"
: >"$RAW"
for fmt in tfrecord cifar-bin idx-gz; do
  for n in $SIZES; do
    rm -rf "$W/tree" && mkdir -p "$W/tree/input/config"
    make_data "$fmt" "$n" "$W/tree" || die "could not write the $fmt data"
    mb=$(du -sm "$W/tree/input/data/train" | cut -f1)
    walls=() rss=()
    for _ in $(seq "$RUNS"); do
      rm -rf "$W/tree/output" "$W/tree/model"
      SAGEMAKER_BASE_DIR=$W/tree OPTML_ALGORITHM=cifar-cnn OPTML_MODULE_PATH=$BUILD/lib/optml \
        /usr/bin/time -f '%e %M' -o "$W/time" "$OPTML" train >"$W/log" 2>&1
      cat "$W/log" >>"$RAW"
      grep -q "Channel 'train': $n images" "$W/log" || die "$fmt $n: the job did not read $n images (see $RAW)"
      # the job ends with an AlgorithmError after the data (no networks yet):
      # time's last line holds the figures
      read -r wall kb < <(tail -n 1 "$W/time")
      walls+=("$wall")
      rss+=("$((kb / 1024))")
    done
    w=$(printf '%s\n' "${walls[@]}" | median)
    r=$(printf '%s\n' "${rss[@]}" | median)
    printf '%-10s %8d %10d %8.2f %10d %12.0f\n' "$fmt" "$n" "$mb" "$w" "$r" "$(echo "$n / $w" | bc -l)" >>"$OUT"
  done
done
cat "$OUT"
