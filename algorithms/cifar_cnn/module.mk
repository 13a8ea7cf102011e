# cifar-cnn: the shared archives it links, a library before the ones it
# uses (codec: tf.train.Example, IDX, .npy, CIFAR records; nn and common:
# layers, optimizers, rng, parallel).
cifar_cnn_USES := codec nn common
