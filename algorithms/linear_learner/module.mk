# linear-learner: the shared archives it links, a library before the ones it
# uses (codec: CSV floats and RecordIO-protobuf; common: losses, optimizers,
# rng, parallel).
linear_learner_USES := codec common
