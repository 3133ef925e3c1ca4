#!/usr/bin/env bash
# Scores a DeepInversion run's synthesized images with the teacher and other saved networks (issue 11,
# bench/results/algorithms-adversarial-datafree-readings.md, last section):
#   bench/datafree/judge.sh RUN/deep-inversion.safetensors TEACHER.model [NETWORK.model ...]
# Needs the CLI built (./mvnw -q -pl cli -am -DskipTests package) and Fashion-MNIST.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
cp="$here/cli/target/distill4j-cli-0.1.0-SNAPSHOT.jar:$here/cli/target/lib/*"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
javac -d "$out" -cp "$cp" "$here/bench/datafree/Judge.java"
OPT_OUT_TRACKING=true java -Dai.djl.offline=true -cp "$cp:$out" Judge "$@" 2> >(grep -v WARN >&2)
