# news-classifier: the shared archives it links, a library before the ones
# it uses (nn: dense, embedding bag, sparse updates; common: losses,
# optimizers, rng, parallel).
news_classifier_USES := nn common
