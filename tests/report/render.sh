#!/usr/bin/env bash
# The training report as a person sees it (`make test-report`, part of
# `make check`): real linear-learner jobs through build/bin/optml (the
# shipped breast-cancer sample, binary; scikit-learn's digits, 10 classes),
# each report.html rendered by headless Chromium.  On the DOM after
# rendering: the curve's title, every cell of the confusion matrix against
# the metrics in metrics.jsonl, the chosen threshold against model.json, and
# nothing loaded from the network; a screenshot of each must be a real
# picture.  The screenshots are left as $REPORT_SHOTS/report-binary.png and
# report-multiclass.png (default /tmp).
# Prints a line per check that fails and closes with "N passed, N failed".
#   Usage: tests/report/render.sh [BUILD]      (default: build)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
build=${1:-build}
shots=${REPORT_SHOTS:-/tmp}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL report: $*"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }

chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { bad "chromium is not installed (bash .ci/deps.sh)"; finish; }
[ -x "$build/bin/optml" ] && [ -f "$build/lib/optml/linear-learner.so" ] || { bad "build first: make"; finish; }
tmp=$(mktemp -d /tmp/optml-report.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Headless Chromium that talks to nothing: no network, no first-run work.
chrome() {
  local profile
  profile=$(mktemp -d "$tmp/profile.XXXXXX")
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
    --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$profile" "$@" 2>>"$tmp/chromium.log"
}

train() { # name tree
  local log="$tmp/$1.log"
  if SAGEMAKER_BASE_DIR="$2" OPTML_ALGORITHM=linear-learner OPTML_MODULE_PATH="$build/lib/optml" \
       "$build/bin/optml" train >"$log" 2>&1; then ok; else bad "$1: optml train failed: $(tail -n 3 "$log")"; return 1; fi
  [ -f "$2/output/data/report.html" ] && ok || { bad "$1: no output/data/report.html"; return 1; }
  grep -q "Training report: $2/output/data/report.html" "$log" && ok || bad "$1: the log does not name the report"
}

# The page after rendering, and its screenshot.
render() { # name tree
  local page="file://$2/output/data/report.html" png="$shots/report-$1.png"
  chrome --dump-dom "$page" >"$tmp/$1.dom" && [ -s "$tmp/$1.dom" ] && ok || { bad "$1: chromium --dump-dom failed"; return 1; }
  rm -f "$png"
  chrome --screenshot="$png" --window-size=1280,2000 "$page" >/dev/null
  # A PNG of 1280 x 2000 with more than a blank page's bytes.
  if /usr/bin/python3 - "$png" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
w, h = struct.unpack('>II', data[16:24])
assert (w, h) == (1280, 2000), 'size %dx%d' % (w, h)
assert len(data) > 40000, 'only %d bytes: blank?' % len(data)
PY
  then ok; else bad "$1: the screenshot $png is not a picture of the page"; fi
}

# What a person reads, checked against the job's own numbers.
check() { # name tree split classes curve-title [threshold]
  /usr/bin/python3 - "$tmp/$1.dom" "$2" "$3" "$4" "$5" <<'PY'
import json, sys
from html.parser import HTMLParser
dom, tree, split, k, curve = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
failed = 0
def expect(cond, what):
    global failed
    print(('ok   ' if cond else 'FAIL report: ') + what)
    failed += not cond

class Page(HTMLParser):
    """Headings, table captions with their rows of cell texts, fact rows, attributes that load."""
    def __init__(self):
        super().__init__()
        self.h3, self.tables, self.loads, self.tags = [], [], [], set()
        self.text, self.where, self.row = None, None, None
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ('src', 'href', 'xlink:href', 'action', 'srcset') and value and not value.startswith('#'):
                self.loads.append((tag, name, value))
        if tag == 'table': self.tables.append({'caption': '', 'rows': []})
        elif tag == 'tr': self.row = []
        elif tag in ('td', 'th', 'caption', 'h3'): self.text, self.where = '', tag
    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self.row is not None and self.text is not None: self.row.append(self.text.strip())
        elif tag == 'caption': self.tables[-1]['caption'] = self.text.strip()
        elif tag == 'h3': self.h3.append(self.text.strip())
        elif tag == 'tr' and self.row is not None: self.tables[-1]['rows'].append(self.row); self.row = None
        if tag in ('td', 'th', 'caption', 'h3'): self.text = None
    def handle_data(self, data):
        if self.text is not None: self.text += data

page = Page()
page.feed(open(dom, encoding='utf-8').read())
expect(not page.loads, 'nothing loaded from anywhere (src/href): %s' % page.loads[:3])
expect(not ({'script', 'link', 'img', 'iframe', 'object'} & page.tags), 'no script, link, img, iframe or object')
expect(curve in page.h3, 'the curve titled "%s" (titles: %s)' % (curve, page.h3[:4]))

finals = {}
for line in open(tree + '/output/data/metrics.jsonl'):
    m = json.loads(line)
    if m['type'] == 'quality' and m['epoch'] is None: finals[(m['split'], m['name'])] = m['value']

caption = 'Confusion matrix (%s)' % split
tables = [t for t in page.tables if t['caption'].startswith(caption)]
expect(len(tables) == 1, 'a table captioned "%s"' % caption)
if tables:
    rows = tables[0]['rows']
    header, body, precision = rows[0], rows[1:1 + k], rows[1 + k]
    expect(header[0] == 'true \\ predicted' and len(header) == k + 3, 'its header: true \\ predicted, %d classes, Rows, Recall' % k)
    cells = [[int(c) for c in r[1:1 + k]] for r in body]
    n = sum(map(sum, cells)); right = sum(cells[i][i] for i in range(k))
    print('     %s: %d rows, %d right' % (caption, n, right))
    for i in range(k):
        sup = sum(cells[i]); pred = sum(cells[j][i] for j in range(k))
        expect(int(body[i][k + 1]) == sup, 'class %s: Rows %s = the sum of its cells %d' % (body[i][0], body[i][k + 1], sup))
        expect(body[i][k + 2] == '%.2f%%' % (100.0 * cells[i][i] / sup) if sup else body[i][k + 2] == '—', 'class %s: recall %s' % (body[i][0], body[i][k + 2]))
        expect(precision[1 + i] == ('%.2f%%' % (100.0 * cells[i][i] / pred) if pred else '—'), 'class %s: precision %s' % (body[i][0], precision[1 + i]))
    if k == 2:
        tn, fp, fn, tp = cells[0][0], cells[0][1], cells[1][0], cells[1][1]
        for name, value in (('binary_classification_accuracy', (tp + tn) / n), ('precision', tp / (tp + fp)), ('recall', tp / (tp + fn))):
            expect(abs(finals[(split, name)] - value) < 1e-9, '%s %s in metrics.jsonl %.6f = %.6f from the cells' % (split, name, finals[(split, name)], value))
    else:
        value = finals[(split, 'multiclass_accuracy')]
        expect(abs(value - right / n) < 1e-9, '%s multiclass_accuracy in metrics.jsonl %.6f = %.6f from the cells' % (split, value, right / n))

facts = {r[0]: r[1] for t in page.tables for r in t['rows'] if len(r) == 2}
if k == 2:
    model = json.load(open(tree + '/model/model.json'))
    shown = facts.get('Decision threshold', '')
    expect(shown and abs(float(shown.split()[0]) - model['threshold']) <= 1e-5 * max(1, abs(model['threshold'])),
           'the decision threshold "%s" is model.json\'s %.9g' % (shown, model['threshold']))
sys.exit(1 if failed else 0)
PY
}

count_checks() { # the python checks' "ok" and FAIL lines into pass / fail
  local out=$1
  pass=$((pass + $(grep -c '^ok ' <<<"$out")))
  fail=$((fail + $(grep -c '^FAIL ' <<<"$out")))
  grep '^FAIL ' <<<"$out"
  grep '^     ' <<<"$out"
}

SECONDS=0
# Binary: the shipped breast-cancer sample (train + validation).
bin="$tmp/binary"
cp -r local_test/linear-learner/test_dir "$bin"
rm -rf "${bin:?}/model" "${bin:?}/output"
if train binary "$bin" && render binary "$bin"; then
  out=$(check binary "$bin" validation 2 "binary_classification_cross_entropy_objective by epoch" 2>&1)
  [ $? -eq 0 ] || [ -n "$(grep '^FAIL ' <<<"$out")" ] || bad "binary: the check crashed: $out"
  count_checks "$out"
fi

# Multiclass: scikit-learn's digits, 10 classes, train / validation / test.
multi="$tmp/multiclass"
mkdir -p "$multi/input/config"
echo '{"predictor_type": "multiclass_classifier", "num_classes": "10", "epochs": "10"}' >"$multi/input/config/hyperparameters.json"
if /usr/bin/python3 - "$multi" <<'PY'
import os, sys, numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
base = sys.argv[1]
X, y = load_digits(return_X_y=True)
Xtr, Xr, ytr, yr = train_test_split(X, y, test_size=0.4, random_state=3, stratify=y)
Xva, Xte, yva, yte = train_test_split(Xr, yr, test_size=0.5, random_state=3, stratify=yr)
for rel, X, y in (('train/digits.csv', Xtr, ytr), ('validation/digits.csv', Xva, yva), ('test/digits.csv', Xte, yte)):
    p = os.path.join(base, 'input/data', rel); os.makedirs(os.path.dirname(p), exist_ok=True)
    np.savetxt(p, np.column_stack([y, X]), delimiter=',', fmt='%g')
PY
then ok; else bad "multiclass: could not write the digits set"; fi
if train multiclass "$multi" && render multiclass "$multi"; then
  out=$(check multiclass "$multi" test 10 "multiclass_cross_entropy_objective by epoch" 2>&1)
  [ $? -eq 0 ] || [ -n "$(grep '^FAIL ' <<<"$out")" ] || bad "multiclass: the check crashed: $out"
  count_checks "$out"
fi
echo "report: 2 jobs trained and rendered in ${SECONDS} s; screenshots $shots/report-binary.png, $shots/report-multiclass.png"
finish
