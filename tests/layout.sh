#!/usr/bin/env bash
# The layout map of README.md against the source tree (`make test-layout`,
# part of `make check`), both ways:
#   1. every source folder appears in the map: each directory under
#      runtime/, algorithms/ and tests/ (at any depth), and the top-level
#      containers/ docker/ local_test/ bench/ docs/ .ci/;
#   2. every path the map names exists.
# The map is the first ``` block after the "## Layout" heading; each line
# that does not start with a blank is one entry, its first word a path from
# the repository root (a trailing / for a folder), the rest a description.
# A folder appears when an entry names it or a path inside it.  A word like
# <module> in a path matches any one name: such an entry must match at least
# one existing path, but covers no folder by itself.  Not source folders:
# fuzz seed corpora (tests/fuzz/seeds/<target>/), hidden and __pycache__
# folders, and folders holding no file at all.  The tree is read as it is
# when the test runs, so a folder another change adds fails here until the
# map has a line for it.
# Prints a FAIL line per disagreement and closes with "N passed, N failed";
# exit 1 on any failure.
#   Usage: tests/layout.sh [README]      (default: README.md at the root)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
readme=${1:-README.md}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL layout: $*"; }

[ -f "$readme" ] || { bad "no $readme"; echo "$pass passed, $fail failed"; exit 1; }

# The map's paths, one per line.
mapfile -t entries < <(awk '
  /^## Layout[[:space:]]*$/ { s = 1; next }
  s == 1 && /^```/ { s = 2; next }
  s == 2 && /^```/ { exit }
  s == 2 && /^[^[:space:]]/ { print $1 }' "$readme")
if [ "${#entries[@]}" -eq 0 ]; then
  bad "$readme has no layout map (a \`\`\` block after '## Layout')"
  echo "$pass passed, $fail failed"
  exit 1
fi

# 2. Every path the map names exists; literal paths cover their folders.
declare -A covered=()
for e in "${entries[@]}"; do
  if [[ $e == *"<"*">"* ]]; then
    pattern=$(sed -E 's/<[^>/]*>/*/g' <<<"$e")   # a trailing / globs folders only
    found=
    for m in $pattern; do [ -e "$m" ] && found=$m && break; done
    if [ -n "$found" ]; then ok; else bad "the map names $e, which matches nothing"; fi
    # The literal folders above the first <name> appear in the map.
    p=${e%%<*}
    p=${p%/}
    while [ -n "$p" ]; do
      covered[$p]=1
      [[ $p == */* ]] && p=${p%/*} || p=
    done
    continue
  fi
  if [[ $e == */ ]]; then
    if [ -d "$e" ]; then ok; else bad "the map names $e, which is not a folder here"; fi
  else
    if [ -e "$e" ]; then ok; else bad "the map names $e, which does not exist"; fi
  fi
  # The entry and every folder above it appear in the map.
  p=${e%/}
  [[ $e == */ ]] && covered[$p]=1
  while [[ $p == */* ]]; do
    p=${p%/*}
    covered[$p]=1
  done
done

# 1. Every source folder appears in the map.
has_files() { [ -n "$(find "$1" -type f -print -quit 2>/dev/null)" ]; }
folders=()
for top in containers docker local_test bench docs .ci; do
  [ -d "$top" ] && folders+=("$top")
done
for top in runtime algorithms tests; do
  [ -d "$top" ] || { bad "no $top/ folder"; continue; }
  while IFS= read -r d; do
    folders+=("$d")
  done < <(find "$top" \( -path 'tests/fuzz/seeds/*' -o -name '.*' -o -name __pycache__ \) -prune \
                -o -type d -print | sort)
done
for d in "${folders[@]}"; do
  has_files "$d" || continue
  if [ -n "${covered[$d]:-}" ]; then
    ok
  else
    bad "$d/ is not in the layout map of $readme"
  fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
