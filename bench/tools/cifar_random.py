# cifar_random.py: N random CIFAR-10 binary records (label byte + 32x32x3
# pixels, 3,073 bytes each) for the cifar-cnn training benchmarks, seeded.
# Usage: /usr/bin/python3 bench/tools/cifar_random.py N PATH
import sys

import numpy as np

n, path = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(1)
rec = np.empty((n, 3073), np.uint8)
rec[:, 0] = rng.integers(0, 10, n)
rec[:, 1:] = rng.integers(0, 256, (n, 3072))
rec.tofile(path)
