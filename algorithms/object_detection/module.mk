# object-detection: the shared archives it links, a library before the ones
# it uses (codec: im2rec records, PNG/JPEG decoding and PNG encoding; nn and
# common: layers, parameter block, optimizers, rng, parallel).
object_detection_USES := codec nn common
