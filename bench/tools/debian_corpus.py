#!/usr/bin/python3
"""Build a newsCorpora.csv-layout corpus from this machine's package lists.

    bench/tools/debian_corpus.py OUT.csv [MIN_PER_SECTION [SEED]]

Reads `apt-cache dumpavail` (every package the configured archives offer),
takes each package's one-line description (the first line of Description)
as the TITLE and its archive Section, without a "contrib/" / "non-free/" /
"non-free-firmware/" prefix, as the CATEGORY.  One row per package name (the
first stanza seen); descriptions holding a TAB or a newline, or empty, are
skipped.  Only sections with at least MIN_PER_SECTION (default 200)
packages are kept.  Rows are shuffled with random.Random(SEED) (default 0)
and written in the 8-column TAB layout of UCI's newsCorpora.csv, as in
local_test/news-classifier/test_dir:

    ID TITLE URL PUBLISHER CATEGORY STORY HOSTNAME TIMESTAMP
    1  <description>  http://example.invalid/1  debian  <section>  S1  example.invalid  1394470370699

so that the first 80 % of rows can be the training set and the last 20 %
the validation set.  Prints one summary line (rows, sections) on stderr.
The result depends on the machine's apt sources and their state.
"""
import collections
import random
import subprocess
import sys


def stanzas(text):
    pkg = section = desc = None
    for line in text.splitlines():
        if not line.strip():
            if pkg is not None:
                yield pkg, section, desc
            pkg = section = desc = None
            continue
        if line[0] in " \t":
            continue  # continuation lines: the long description
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "Package":
            pkg = value
        elif key == "Section":
            section = value
        elif key == "Description":
            desc = value
    if pkg is not None:
        yield pkg, section, desc


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    min_per = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    text = subprocess.run(["apt-cache", "dumpavail"], check=True, capture_output=True,
                          text=True, errors="replace").stdout
    seen, rows = set(), []
    for pkg, section, desc in stanzas(text):
        if pkg in seen or not section or not desc:
            continue
        seen.add(pkg)
        if "\t" in desc or "\n" in desc or "\r" in desc:
            continue
        rows.append((desc, section.rsplit("/", 1)[-1]))
    counts = collections.Counter(s for _, s in rows)
    keep = {s for s, n in counts.items() if n >= min_per}
    rows = [r for r in rows if r[1] in keep]
    rows.sort()  # independent of the archives' order, then shuffled with the seed
    random.Random(seed).shuffle(rows)
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        for i, (desc, section) in enumerate(rows, 1):
            fh.write(f"{i}\t{desc}\thttp://example.invalid/{i}\tdebian\t{section}\tS{i}\t"
                     f"example.invalid\t{1394470370698 + i}\n")
    print(f"debian_corpus: {len(rows)} rows, {len(keep)} sections with >= {min_per} packages "
          f"(of {len(counts)}), seed {seed} -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
