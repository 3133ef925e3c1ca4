#!/usr/bin/env bash
# Measures the effect of changes on training speed: builds `distill bench perf` at each given
# commit in its own worktree and runs them one after another, so every commit is measured the
# same way on the same machine. Usage:
#   bench/perf-ab.sh 8ed1387 41715c3 HEAD            # results in /tmp/distill4j-perf-ab/<commit>/perf.md
#   OMP_NUM_THREADS=1 bench/perf-ab.sh A B           # one intra-op thread (what perf-fixes.md used)
#   PERF_AB_ARGS="--repeats 9" bench/perf-ab.sh A B
# Commits before e364dc5 crash on `bench perf --threads` (engine not loaded yet): set the thread
# count with OMP_NUM_THREADS instead, as above.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${PERF_AB_OUT:-/tmp/distill4j-perf-ab}"
mkdir -p "$out"
export OPT_OUT_TRACKING=true MKL_DYNAMIC=FALSE OMP_DYNAMIC=FALSE
for commit in "$@"; do
  wt="$out/wt-$commit"
  [ -d "$wt" ] || git -C "$root" worktree add -q --detach "$wt" "$commit"
  (cd "$wt" && ./mvnw -q -DskipTests package)
  echo "== $commit ($(git -C "$wt" log -1 --format=%s))"
  java -Xmx6g -Dai.djl.offline=true -cp "$wt/cli/target/distill4j-cli-0.1.0-SNAPSHOT.jar:$wt/cli/target/lib/*" \
    org.distill4j.cli.Main bench perf ${PERF_AB_ARGS:---repeats 5} --out "$out/$commit"
done
