#!/usr/bin/env bash
# A pre-training corpus of English prose from text already on a Debian machine, made the same way every time.
#
#   scripts/make-corpus.sh [OUT (target/corpus)] [--man-pages N (400)]
#
# Sources (all plain text that ships with the system; nothing is downloaded):
#   /usr/share/common-licenses/*                 license texts
#   /usr/share/doc/*/copyright                   Debian copyright files (mostly license prose)
#   /usr/share/doc/**/{README,NEWS,FAQ,*.txt}*   package documentation (gzip or plain; changelogs are left out)
#   man pages of sections 1, 5 and 8             the first N by file name, rendered with `man -P cat | col -bx`
# Each document is cut at 300 KB (a few NEWS files and Boost's copyright file would otherwise dominate).
# Paragraphs (blocks between blank lines) that occur more than once anywhere are kept only at their first
# occurrence, so the many copies of the GPL count once and the held-out slice shares no paragraph with training.
# A document (one source file) goes to the held-out slice when a hash of its name falls in 1/32 of the range,
# until that slice holds ~160 KB; every other document goes to training.
#
# Writes into OUT:
#   train.txt  train.jsonl   training text, and the same cut into {"text"} records of <= ~900 chars at line
#                            breaks (finetune has no packing: a record longer than --seq-len tokens is cut, so records
#                            are made to fit 256 tokens)
#   eval.txt   eval.jsonl    the held-out slice (perplexity / KLD text, and finetune's --eval-data)
#   sources.txt              the files read, in order
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
out="target/corpus"
man_pages=400
while [ $# -gt 0 ]; do
  case "$1" in
    --man-pages) man_pages="$2"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
    *) out="$1" ;;
  esac
  shift
done
export LC_ALL=C.UTF-8
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# ---- the source list, sorted so that the corpus does not depend on directory order ----
{
  find /usr/share/common-licenses -type f | sort
  find /usr/share/doc -type f -name copyright | sort
  find /usr/share/doc -type f \( -iname 'README*' -o -iname 'NEWS*' -o -iname 'FAQ*' -o -iname '*.txt' -o -iname '*.txt.gz' \) \
    ! -iname '*changelog*' ! -path '*/fonts-dejavu-core/status.txt.gz' | sort
} >"$tmp/files"
find /usr/share/man/man1 /usr/share/man/man5 /usr/share/man/man8 -type f -name '*.gz' 2>/dev/null | sort \
  | sed -n "1,${man_pages}p" >"$tmp/man"
cat "$tmp/files" "$tmp/man" >"$out/sources.txt"

# ---- one stream: a line "\x1eDOC <name>" before each document ----
emit() {
  local f
  while IFS= read -r f; do
    printf '\036DOC %s\n' "$f"
    case "$f" in
      *.gz) { zcat -- "$f" 2>/dev/null | head -c 300000; } || true ;;
      *) head -c 300000 -- "$f" ;;
    esac
    echo
  done <"$tmp/files"
  while IFS= read -r f; do
    printf '\036DOC %s\n' "$f"
    MANWIDTH=80 man -P cat -l "$f" 2>/dev/null | col -bx || true
    echo
  done <"$tmp/man"
}
echo "make-corpus: reading $(wc -l <"$tmp/files") documentation files and $(wc -l <"$tmp/man") man pages ..." >&2
emit | iconv -f UTF-8 -t UTF-8 -c | tr -d '\r\f\v\000-\010\016-\035\037' | sed 's/\t/    /g' >"$tmp/stream"
# (iconv drops bytes that are not UTF-8, as in the Latin-1 files some packages ship; tr keeps \t, \n and \036,
# our document marker)

# ---- dedupe paragraphs, split documents, cut records ----
awk -v train="$out/train.txt" -v evalf="$out/eval.txt" -v trainj="$out/train.jsonl" -v evalj="$out/eval.jsonl" '
function hash(s,   h, i) { h = 0; for (i = 1; i <= length(s); i++) h = (h * 31 + index(chars, substr(s, i, 1))) % 1000003; return h }
function json(s) { gsub(/\\/, "&&", s); gsub(/"/, "\\\"", s); gsub(/\n/, "\\n", s); return "{\"text\": \"" s "\"}" }
function flushrec() { if (rec != "") { print json(rec) > (held ? evalj : trainj) } ; rec = "" }
function para(p,   n, i, lines) {
  if (p ~ /^[[:space:]]*$/) return
  if (p in seen) return
  seen[p] = 1
  print p "\n" > (held ? evalf : train)
  if (held) evalBytes += length(p) + 2
  n = split(p, lines, "\n")
  for (i = 1; i <= n; i++) {
    if (length(rec) + length(lines[i]) + 1 > 900) flushrec()
    rec = (rec == "" ? lines[i] : rec "\n" lines[i])
  }
  if (length(rec) > 600) flushrec(); else if (rec != "") rec = rec "\n"
}
BEGIN { RS = ""; chars = "abcdefghijklmnopqrstuvwxyz0123456789/._-+" }
{
  # a record is a paragraph; a document marker may start it
  n = split($0, ls, "\n"); body = ""
  for (i = 1; i <= n; i++) {
    if (substr(ls[i], 1, 1) == "\036") {
      para(body); body = ""; flushrec()
      name = substr(ls[i], 6)
      held = (hash(tolower(name)) % 32 == 7 && evalBytes < 160000)
      continue
    }
    sub(/[[:space:]]+$/, "", ls[i])
    body = (body == "" ? ls[i] : body "\n" ls[i])
  }
  para(body)
}
END { flushrec() }
' "$tmp/stream"
for f in train.txt eval.txt train.jsonl eval.jsonl; do
  printf 'make-corpus: %-12s %9d bytes %7d lines\n' "$f" "$(wc -c <"$out/$f")" "$(wc -l <"$out/$f")" >&2
done
