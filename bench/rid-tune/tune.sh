#!/bin/sh
# bench/rid-tune/tune.sh METHOD CONFIG "B1 B2 ..." ["S1 S2 ..."]: the validation accuracy (last epoch) of
# the student-METHOD of CONFIG at each beta and seed (default seed 1), with the trained teacher; the
# test accuracy the run also measures is not read.
# Used once to choose VID's and RID's beta for bench/algorithms-rid.yaml (its table note says so).
set -e
method=$1; config=$2; betas=$3; seeds=${4:-1}
for b in $betas; do
  for s in $seeds; do
    ./distill train -c "$config" --threads 1 --seed "$s" --runs runs-tune/"$method" \
      --set student.method.beta="$b" --set student.baseline=false > /dev/null 2>&1
    d=$(ls -td runs-tune/"$method"/*/ | head -1)
    python3 - "$d" "$method" "$b" "$s" <<'PY'
import json, sys
r = json.load(open(sys.argv[1] + "record.json"))
m = [m for m in r["models"] if m["name"] == "student-" + sys.argv[2]][0]
h = [e for e in m["history"] if e["phase"] == m["name"] and e.get("validationAccuracy") is not None]
print(sys.argv[2], "beta", sys.argv[3], "seed", sys.argv[4], "val", round(100 * h[-1]["validationAccuracy"], 2), flush=True)
PY
  done
done
