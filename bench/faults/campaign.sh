#!/usr/bin/env bash
# The fault campaign behind bench/results/faults.md: a small real run (3,000 Fashion-MNIST
# training images, teacher 2 epochs, baseline and KD student 2 epochs each, a checkpoint every
# 10 steps) hit by kill -9, signals, damaged and changed files, full and blocked disks, bad data,
# concurrent processes; every outcome is compared with the uninterrupted run's weights digests.
# Not a test (it needs the full data, root for the tmpfs, minutes): a record a reader can re-run.
#
#   bench/faults/campaign.sh OUT_DIR   (D=path/to/distill: another launcher; REF_RUNS=DIR: reuse a reference run)
#
# Prints one line per case: case | commands | exit codes | messages | outcome.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
D=${D:-$HERE/distill}
OUT=${1:?usage: campaign.sh OUT_DIR}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
FM=${FM:-/usr/share/datasets/fashion-mnist}
CFG=$OUT/small.yaml
cat > "$CFG" <<'EOF'
name: faults
seed: 42
data: {validation: 0.1, trainLimit: 3000, testLimit: 2000}
checkpoint: {everySteps: 10}
teacher:
  model: {type: cnn, channels: [16, 32], hidden: 64}
  train: {epochs: 2, batchSize: 64, optimizer: {type: sgd, lr: 0.05, momentum: 0.9}}
student:
  model: {type: cnn, channels: [8, 16], hidden: 32}
  train: {epochs: 2, batchSize: 64, optimizer: {type: sgd, lr: 0.05, momentum: 0.9}}
  method: {name: kd, temperature: 4, alpha: 0.9}
  baseline: true
EOF
# 2,700 training images in batches of 64: 42 steps per epoch, 84 per phase, 252 in the run

onlyrun() { ls -d "$1"/*/ 2>/dev/null | head -1 | sed 's:/$::'; }
digests() { jq -r '.models[] | "\(.name) \(.weightsDigest)"' "$1/record.json" 2>/dev/null; }
verdict() { # identical / DIFFERENT / no record
  [ -f "$1/record.json" ] || { echo "no record"; return; }
  if [ "$(digests "$1")" = "$(digests "$REF")" ]; then echo "weights identical to the uninterrupted run"
  else echo "weights DIFFERENT from the uninterrupted run"; fi
}
# what a user reads on stderr: messages, not the bar, the epoch lines or the table
msgs() { tr '\r' '\n' < "$1" | grep -v '%\|^ *$\|^run directory\|^evaluating\|  epoch \|^teacher knowledge computed\|^teacher knowledge read' \
  | sed 's/^ *//' | awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ *$//' | cut -c1-700; }
line() { printf '%s | %s | %s | %s | %s\n' "$1" "$2" "$3" "$4" "$5"; }
waitfor() { local pid=$1; shift; for _ in $(seq 1 6000); do eval "$@" && return 0; kill -0 "$pid" 2>/dev/null || return 1; sleep 0.05; done; return 1; }
resume_until_done() { # resumes until exit 0 (at most 4 times); prints the exit codes
  local run=$1 log=$2; shift 2; local codes=""
  for _ in 1 2 3 4; do $D resume "$run" "$@" >>"$log.out" 2>>"$log"; local c=$?; codes="$codes $c"; [ $c = 0 ] && break; done
  echo "${codes# }"
}
flip() { python3 -c "
import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); m=len(b)//2
for i in range(16): b[m+i]^=0xFF
open(p,'wb').write(b)" "$1"; }

# --- the uninterrupted run
if [ -n "${REF_RUNS:-}" ]; then # an uninterrupted run made earlier by the same build (its runs directory)
  rm -rf "$OUT/ref"; cp -r "$REF_RUNS" "$OUT/ref"; c="0 (made earlier)"
else
  $D train -c "$CFG" --runs "$OUT/ref" >"$OUT/ref.out" 2>"$OUT/ref.err"; c=$?
fi
REF=$(onlyrun "$OUT/ref")
line "none (reference)" "train -c small.yaml" "$c" "$(digests "$REF" | cut -c1-20 | tr '\n' ' ')" "$(jq -r .totalSeconds "$REF/record.json") s"

# --- kill -9 at a moment, then resume until done
slug() { echo "$1" | tr -c 'A-Za-z0-9\n' '-' | tr -s '-'; }
kill9() { # name, trigger (a shell test over $R and $LOG), delay after it
  local name=$1 trigger=$2 delay=$3 W; W=$OUT/kill9/$(slug "$1"); rm -rf "$W"; mkdir -p "$W"
  R=$W/runs; LOG=$W/train.err
  $D train -c "$CFG" --runs "$R" >"$W/train.out" 2>"$LOG" & local pid=$!
  if waitfor $pid "$trigger"; then sleep "$delay"; kill -9 $pid 2>/dev/null; fi
  wait $pid 2>/dev/null; local c=$?
  local run; run=$(onlyrun "$R")
  local left; left=$(ls "$run/checkpoints" 2>/dev/null | tail -1)
  local codes; codes=$(resume_until_done "$run" "$W/resume.err")
  line "kill -9: $name" "train; kill -9 PID; resume RUN" "$c; $codes" "newest checkpoint left: ${left:-none}; $(msgs "$W/resume.err")" "$(verdict "$run")"
}
kill9 "teacher, after checkpoint 2" '[ -n "$(ls $R/*/checkpoints/000002* 2>/dev/null)" ]' 0.3
kill9 "teacher, early in epoch 2" 'grep -q "teacher        epoch  1" $LOG' 0.5
kill9 "while the teacher is evaluated" 'grep -q "evaluating teacher" $LOG' 0
kill9 "baseline student, epoch 2" 'grep -q "student-none   epoch  1" $LOG' 0.2
kill9 "while the knowledge store is built" 'grep -q "evaluating student-none" $LOG' 0.3
kill9 "KD student, last epoch" 'grep -q "student-kd     epoch  1" $LOG' 1
kill9 "while the last model is evaluated" 'grep -q "evaluating student-kd" $LOG' 0
kill9 "random moment ($((RANDOM % 20)) s)" 'true' "$((RANDOM % 20)).$((RANDOM % 10))"

# kill -9 in the middle of a checkpoint write (a real halt, as kill -9: the fault hook halts the JVM half-way)
W=$OUT/kill9/mid-write; rm -rf "$W"; mkdir -p "$W"
DISTILL4J_JAVA_OPTS="-Xmx6g -Ddistill4j.fault.haltDuringCheckpoint=5" $D train -c "$CFG" --runs "$W/runs" >/dev/null 2>"$W/train.err"; c=$?
run=$(onlyrun "$W/runs"); tmp=$(ls -a "$run/checkpoints" | grep -c '\.tmp$')
codes=$(resume_until_done "$run" "$W/resume.err")
line "halt (as kill -9) half-way through writing checkpoint 5" "DISTILL4J_JAVA_OPTS=-Ddistill4j.fault.haltDuringCheckpoint=5 train; resume RUN" "$c; $codes" "half-written temporary files left: $tmp; $(msgs "$W/resume.err")" "$(verdict "$run")"

# kill -9 twice: during the run, then during its resume
W=$OUT/kill9/twice; rm -rf "$W"; mkdir -p "$W"; R=$W/runs; LOG=$W/train.err
$D train -c "$CFG" --runs "$R" >/dev/null 2>"$LOG" & pid=$!
waitfor $pid '[ -n "$(ls $R/*/checkpoints/000003* 2>/dev/null)" ]'; kill -9 $pid; wait $pid 2>/dev/null; c1=$?
run=$(onlyrun "$R"); LOG=$W/resume1.err
$D resume "$run" >/dev/null 2>"$LOG" & pid=$!
waitfor $pid 'grep -q "evaluating student-none" $LOG'; kill -9 $pid; wait $pid 2>/dev/null; c2=$?
codes=$(resume_until_done "$run" "$W/resume.err")
line "kill -9 during the run, then during its resume" "train; kill -9; resume; kill -9; resume" "$c1; $c2; $codes" "$(msgs "$W/resume.err")" "$(verdict "$run")"

# --- signals
signal() { # name, signal, trigger, delay
  local name=$1 sig=$2 trigger=$3 delay=$4 W; W=$OUT/signal/$(slug "$1"); rm -rf "$W"; mkdir -p "$W"
  R=$W/runs; LOG=$W/train.err
  # a background job of a script starts with SIGINT ignored (as the shell wants): env restores its default
  env --default-signal=INT $D train -c "$CFG" --runs "$R" >"$W/train.out" 2>"$LOG" & local pid=$!
  waitfor $pid "$trigger"; sleep "$delay"; kill -"$sig" $pid; wait $pid; local c=$?
  local run; run=$(onlyrun "$R")
  local codes; codes=$(resume_until_done "$run" "$W/resume.err")
  line "SIG$sig: $name" "train; kill -$sig PID; resume RUN" "$c; $codes" "$(tail -1 "$LOG" | sed "s:$OUT:OUT:g")" "$(verdict "$run")"
}
signal "teacher, epoch 1" TERM '[ -n "$(ls $R/*/checkpoints/000002* 2>/dev/null)" ]' 0.3
signal "KD student, last epoch" INT 'grep -q "student-kd     epoch  1" $LOG' 0.5
signal "while the teacher is evaluated" TERM 'grep -q "evaluating teacher" $LOG' 0
# a signal exactly after the run's last step (252): the fault hook pauses the run there until a signal comes
W=$OUT/signal/last-step; rm -rf "$W"; mkdir -p "$W"; R=$W/runs; LOG=$W/train.err
DISTILL4J_JAVA_OPTS="-Xmx6g -Ddistill4j.fault.pauseAfterRunStep=252 -Ddistill4j.fault.pauseMarker=$W/paused" \
  $D train -c "$CFG" --runs "$R" >/dev/null 2>"$LOG" & pid=$!
waitfor $pid '[ -f $W/paused ]'; kill -TERM $pid; wait $pid; c=$?
run=$(onlyrun "$R"); codes=$(resume_until_done "$run" "$W/resume.err")
line "SIGTERM: after the run's last step" "DISTILL4J_JAVA_OPTS=-Ddistill4j.fault.pauseAfterRunStep=252 train; kill -TERM PID; resume RUN" "$c; $codes" "$(tail -1 "$LOG" | sed "s:$OUT:OUT:g")" "$(verdict "$run")"
# a second signal exits at once
W=$OUT/signal/twice; rm -rf "$W"; mkdir -p "$W"; R=$W/runs; LOG=$W/train.err
DISTILL4J_JAVA_OPTS="-Xmx6g -Ddistill4j.fault.pauseAfterRunStep=20 -Ddistill4j.fault.pauseMarker=$W/paused" \
  env --default-signal=INT $D train -c "$CFG" --runs "$R" >/dev/null 2>"$LOG" & pid=$!
waitfor $pid '[ -f $W/paused ]'; kill -INT $pid; kill -INT $pid; wait $pid; c=$?
run=$(onlyrun "$R"); codes=$(resume_until_done "$run" "$W/resume.err")
line "SIGINT twice" "train; kill -INT PID; kill -INT PID; resume RUN" "$c; $codes" "$(msgs "$LOG" | sed "s:$OUT:OUT:g")" "$(verdict "$run")"

# --- a run killed in the KD phase (its knowledge store built), the base of several cases
W=$OUT/inkd; rm -rf "$W"; mkdir -p "$W"; R=$W/runs; LOG=$W/train.err
$D train -c "$CFG" --runs "$R" >/dev/null 2>"$LOG" & pid=$!
waitfor $pid 'grep -q "teacher knowledge computed" $LOG'; sleep 1; kill -9 $pid; wait $pid 2>/dev/null
tar czf "$OUT/inkd.tgz" -C "$R" .
inkd() { rm -rf "$1"; mkdir -p "$1"; tar xzf "$OUT/inkd.tgz" -C "$1"; onlyrun "$1"; }

# damaged checkpoints
W=$OUT/damaged; mkdir -p "$W"
run=$(inkd "$W/newest"); newest=$(ls "$run/checkpoints" | tail -1); flip "$run/checkpoints/$newest"
codes=$(resume_until_done "$run" "$W/newest.err")
line "newest checkpoint damaged (16 bytes flipped)" "resume RUN" "$codes" "$(msgs "$W/newest.err" | sed "s:$OUT:OUT:g")" "$(verdict "$run")"
run=$(inkd "$W/all"); for f in "$run"/checkpoints/*.ckpt; do head -c 5000 "$f" > "$f.x"; mv "$f.x" "$f"; done
$D resume "$run" >/dev/null 2>"$W/all.err"; c=$?
line "every checkpoint truncated" "resume RUN" "$c" "$(msgs "$W/all.err" | sed "s:$OUT:OUT:g")" "nothing resumed or overwritten: $(ls "$run/checkpoints" | wc -l) checkpoints still there"
run=$(inkd "$W/store"); flip "$run/knowledge/teacher.safetensors"
codes=$(resume_until_done "$run" "$W/store.err")
line "knowledge store damaged (16 bytes flipped)" "resume RUN" "$codes" "$(msgs "$W/store.err" | sed "s:$OUT:OUT:g")" "$(verdict "$run")"
run=$(inkd "$W/model"); flip "$run/teacher.model"
$D resume "$run" >/dev/null 2>"$W/model.err"; c=$?
line "finished phase's model damaged (teacher.model)" "resume RUN" "$c" "$(msgs "$W/model.err" | sed "s:$OUT:OUT:g")" "no record; nothing overwritten"

# a loaded teacher, damaged or cut short
cp "$REF/teacher.model" "$W/teacher.model"; flip "$W/teacher.model"
head -c 100000 "$REF/teacher.model" > "$W/cut.model"
for t in teacher.model cut.model; do
  python3 - "$CFG" "$W/$t" > "$W/load-$t.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
train = "  train: {epochs: 2, batchSize: 64, optimizer: {type: sgd, lr: 0.05, momentum: 0.9}}\nstudent:"
print(s.replace(train, "  load: " + sys.argv[2] + "\nstudent:", 1), end="")
PY
  $D train -c "$W/load-$t.yaml" --runs "$W/load-runs" >/dev/null 2>"$W/load-$t.err"; c=$?
  what=$( [ $t = cut.model ] && echo "truncated (100,000 bytes)" || echo "damaged (16 bytes flipped)")
  line "loaded teacher $what" "train -c load.yaml (teacher: {load: $t})" "$c" "$(msgs "$W/load-$t.err" | sed "s:$OUT:OUT:g")" "$( [ -d "$W/load-runs" ] && echo 'a run directory was created' || echo 'no run directory created')"
done

# --- changed inputs
W=$OUT/changed; mkdir -p "$W"
rm -rf "$W/data"; cp -r "$FM" "$W/data"
python3 - "$W/data/train-labels-idx1-ubyte.gz" <<'PY'
import gzip, sys
p = sys.argv[1]; b = bytearray(gzip.open(p).read()); b[8 + 3] = (b[8 + 3] + 1) % 10
gzip.open(p, 'wb').write(bytes(b))
PY
run=$(inkd "$W/data-run")
$D resume "$run" --data "$W/data" >/dev/null 2>"$W/data1.err"; c1=$?
$D resume "$run" --data "$W/data" --accept-data-change >/dev/null 2>"$W/data2.err"; c2=$?
line "training labels changed (one byte) before resume" "resume RUN --data MODIFIED; then with --accept-data-change" "$c1; $c2" "$(msgs "$W/data1.err" | sed "s:$OUT:OUT:g" | cut -c1-400) … then: $(jq -r '.sittings[-1].accepted | join("; ")' "$run/record.json" | cut -c1-200)" "accepted change recorded in the sitting; $(verdict "$run")"
run=$(inkd "$W/config-run")
cp "$CFG" "$W/orig.yaml"; sed -i 's/temperature: 4/temperature: 3/' "$CFG"
$D resume "$run" >/dev/null 2>"$W/cfg1.err"; c1=$?
$D resume "$run" --accept-config-change >/dev/null 2>"$W/cfg2.err"; c2=$?
cp "$W/orig.yaml" "$CFG"
$D reproduce "$run" --runs "$W/again" >"$W/repro.out" 2>"$W/repro.err"; c3=$?
line "config changed (KD temperature 4 → 3) before resume" "resume RUN; resume RUN --accept-config-change; reproduce RUN" "$c1; $c2; $c3" "$(msgs "$W/cfg1.err" | sed "s:$OUT:OUT:g") … config.yaml now: $(grep -o 'temperature: [0-9.]*' "$run/config.yaml")" "reproduce: $(tail -1 "$W/repro.out" | sed "s:$OUT:OUT:g")"

# --- concurrency and a finished run
W=$OUT/concurrent; mkdir -p "$W"; run=$(inkd "$W/run")
$D resume "$run" >/dev/null 2>"$W/a.err" & a=$!
waitfor $a 'grep -q "^$a " $run/run.lock'
$D resume "$run" >/dev/null 2>"$W/b.err"; cb=$?; wait $a; ca=$?
line "two resumes of one run at once" "resume RUN & resume RUN" "$ca; $cb" "$(msgs "$W/b.err" | sed "s:$OUT:OUT:g")" "$(verdict "$run")"
before=$(sha256sum "$REF/record.json" | cut -c1-16); ckb=$(ls "$REF/checkpoints" | tr '\n' ' ')
$D resume "$REF" >/dev/null 2>"$W/finished.err"; c=$?
after=$(sha256sum "$REF/record.json" | cut -c1-16); cka=$(ls "$REF/checkpoints" | tr '\n' ' ')
line "resume of a finished run" "resume REF_RUN" "$c" "$(msgs "$W/finished.err" | sed "s:$OUT:OUT:g")" "record.json sha256 $before… before, $after… after; checkpoints $( [ "$ckb" = "$cka" ] && echo unchanged || echo CHANGED)"

# --- a full disk: the run directory on a small tmpfs (needs root), then the run moved and resumed
W=$OUT/full; mkdir -p "$W"
for size in 1500k 4m; do
  M=$W/tmpfs-$size; mkdir -p "$M"
  if mount -t tmpfs -o size=$size tmpfs "$M" 2>/dev/null; then
    $D train -c "$CFG" --runs "$M/runs" >/dev/null 2>"$W/$size.err"; c=$?
    run=$(onlyrun "$M/runs"); name=$(basename "$run")
    mkdir -p "$W/moved-$size"; cp -r "$run" "$W/moved-$size/"; umount "$M"
    codes=$(resume_until_done "$W/moved-$size/$name" "$W/$size-resume.err")
    line "full disk (tmpfs of $size)" "train --runs TMPFS/runs; then the run copied to a disk with room, resume" "$c; $codes" "$(msgs "$W/$size.err" | sed "s:$OUT:OUT:g")" "$(verdict "$W/moved-$size/$name")"
  else
    line "full disk (tmpfs of $size)" "mount -t tmpfs" "-" "cannot mount a tmpfs here" "not run"
  fi
done

# the disk fills up at a chosen moment: a filler takes the rest of a tmpfs when a line appears
fillat() { # name, line that triggers the filler, a file to remove from the run first (rebuilt)
  local name=$1 trigger=$2 remove=$3 M=$W/fill-$1; mkdir -p "$M"
  mount -t tmpfs -o size=4m tmpfs "$M" 2>/dev/null || { line "full disk: $name" "mount -t tmpfs" "-" "cannot mount a tmpfs here" "not run"; return; }
  tar xzf "$OUT/inkd.tgz" -C "$M"; local run; run=$(onlyrun "$M")
  [ -n "$remove" ] && rm -f "$run/$remove"
  $D resume "$run" >/dev/null 2>"$W/$name.err" & local pid=$!
  waitfor $pid "grep -q '$trigger' '$W/$name.err'"
  dd if=/dev/zero of="$M/filler" bs=4k 2>/dev/null
  wait $pid; local c=$?; local rec; rec=$( [ -f "$run/record.json" ] && echo "record written" || echo "no record")
  rm -f "$M/filler"
  local codes; codes=$(resume_until_done "$run" "$W/$name-2.err")
  line "full disk: $name" "resume RUN (on a 4 MiB tmpfs, filled when '$trigger' appears); then with room again, resume RUN" "$c; $codes" "$(msgs "$W/$name.err" | sed "s:$OUT:OUT:g")" "$rec; then $(verdict "$run")"
  umount "$M"
}
fillat "while the knowledge store is written" "loaded student-none.model" knowledge/teacher.safetensors
fillat "after the last evaluation (sidecars, report, record)" "evaluating student-kd" ""

# --- outputs blocked: a file where a directory goes, a directory where a file goes
W=$OUT/blocked; mkdir -p "$W"; touch "$W/afile"
$D train -c "$CFG" --runs "$W/afile" >/dev/null 2>"$W/runs.err"; c=$?
line "--runs is a file" "train --runs FILE" "$c" "$(msgs "$W/runs.err" | sed "s:$OUT:OUT:g")" "nothing written"
run=$(inkd "$W/report"); mkdir -p "$run/report.html/x"
$D resume "$run" >/dev/null 2>"$W/report.err"; c=$?; rm -r "$run/report.html"
codes=$(resume_until_done "$run" "$W/report2.err")
line "report.html is a directory (written last)" "resume RUN; rmdir; resume RUN" "$c; $codes" "$(msgs "$W/report.err" | sed "s:$OUT:OUT:g")" "not marked finished; after the fix: $(verdict "$run")"
run=$(inkd "$W/knowledge"); rm -r "$run/knowledge"; touch "$run/knowledge"
$D resume "$run" >/dev/null 2>"$W/knowledge.err"; c=$?
line "knowledge/ is a file" "resume RUN" "$c" "$(msgs "$W/knowledge.err" | sed "s:$OUT:OUT:g")" "no record"
$D bench kd --seeds 1 --out "$W/afile" --runs "$W/bench-runs" >/dev/null 2>"$W/bench.err"; c=$?
line "bench --out is a file" "bench kd --out FILE" "$c" "$(msgs "$W/bench.err" | sed "s:$OUT:OUT:g")" "failed before any run: $( [ -d "$W/bench-runs" ] && echo 'runs directory created' || echo 'no runs directory')"

# --- two benches on one work directory
W=$OUT/bench; mkdir -p "$W"
$D bench methods -c "$HERE/bench/methods.yaml" --only none,kd --seeds 1 --work "$W/work" --out "$W/out" >/dev/null 2>"$W/a.err" & a=$!
waitfor $a '[ -s $W/work/run.lock ]'
$D bench methods -c "$HERE/bench/methods.yaml" --only none,kd --seeds 1 --work "$W/work" --out "$W/out" >/dev/null 2>"$W/b.err"; cb=$?
kill -TERM $a; wait $a; ca=$?
line "two benches on one work directory" "bench methods --work W & bench methods --work W" "$ca (first, then SIGTERM); $cb" "$(msgs "$W/b.err" | sed "s:$OUT:OUT:g")" "the second wrote nothing"

# --- bad data
W=$OUT/data; mkdir -p "$W"
$D train -c "$CFG" --data "$W/nowhere" --runs "$W/runs" >/dev/null 2>"$W/missing.err"; c=$?
line "--data directory missing" "train --data MISSING" "$c" "$(msgs "$W/missing.err" | sed "s:$OUT:OUT:g" | cut -c1-300)" "no run directory"
rm -rf "$W/cut"; cp -r "$FM" "$W/cut"; f=$W/cut/train-images-idx3-ubyte.gz; head -c 1000000 "$f" > "$f.x"; mv "$f.x" "$f"
$D train -c "$CFG" --data "$W/cut" --runs "$W/runs" >/dev/null 2>"$W/cut.err"; c=$?
line "training images truncated" "train --data CUT" "$c" "$(msgs "$W/cut.err" | sed "s:$OUT:OUT:g")" "no run directory"
rm -rf "$W/dir"; cp -r "$FM" "$W/dir"; rm "$W/dir/t10k-labels-idx1-ubyte.gz"; mkdir "$W/dir/t10k-labels-idx1-ubyte.gz"
$D train -c "$CFG" --data "$W/dir" --runs "$W/runs" >/dev/null 2>"$W/dir.err"; c=$?
line "test labels file is a directory" "train --data D" "$c" "$(msgs "$W/dir.err" | sed "s:$OUT:OUT:g" | cut -c1-300)" "no run directory"
mkdir -p "$W/csv"; cp -r "$HERE/examples/data" "$HERE/examples/csv.yaml" "$W/csv/"   # paths are relative to the YAML
sed -i '5s/^\([^,]*\),/\1x,/' "$W/csv/data/seeds.csv"
$D train -c "$W/csv/csv.yaml" --runs "$W/runs" >/dev/null 2>"$W/csv.err"; c=$?
line "CSV with a non-numeric cell (line 5)" "train -c csv.yaml" "$c" "$(msgs "$W/csv.err" | sed "s:$OUT:OUT:g")" "$( [ -d "$W/runs" ] && echo 'a run directory was created' || echo 'no run directory')"
