#!/bin/bash
# The pipe-reader test image's "algorithm" (argument `train` ignored): three
# passes over the train channel (the second closes its FIFO after one line),
# then one over validation; each line of /opt/ml/model/passes.txt says what
# was seen.  Exits 1 when a FIFO does not appear within 10 s.
set -u
d=/opt/ml/input/data
out=/opt/ml/model/passes.txt
mkdir -p /opt/ml/model
: >"$out"
cp /opt/ml/input/config/inputdataconfig.json /opt/ml/model/seen-inputdataconfig.json
appear() { local i; for ((i = 0; i < 100; i++)); do [ -p "$1" ] && return 0; sleep 0.1; done; return 1; }
for k in 0 1 2; do
  appear "$d/train_$k" || { echo "train_$k never appeared" >>"$out"; exit 1; }
  exec 3<"$d/train_$k"
  if [ "$k" = 1 ]; then
    n=$(head -n 1 <&3 | wc -l)   # stops early: legal, the pass is over
  else
    n=$(wc -l <&3)               # to EOF
  fi
  # Still open after its last byte: the next pass must not be offered yet.
  sleep 0.3
  [ ! -e "$d/train_$((k + 1))" ] || echo "train_$((k + 1)) existed before train_$k was closed" >>"$out"
  exec 3<&-
  echo "train_$k $n" >>"$out"
done
appear "$d/train_3" && echo "train_3 offered" >>"$out"
appear "$d/validation_0" || { echo "validation_0 never appeared" >>"$out"; exit 1; }
echo "validation_0 $(wc -l <"$d/validation_0")" >>"$out"
