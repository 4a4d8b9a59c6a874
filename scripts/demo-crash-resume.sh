#!/usr/bin/env bash
# `rlhf demo --preset quick` at a reduced size (scripts/demo-crash-resume.json, about 20 s) is
# SIGKILLed in each of its stages at seeded moments, run again with the same command line (the demo resumes from the
# stages it finished; a stage killed midway is redone or resumed from its checkpoint), and its
# folder compared file by file with an unbroken run's. Two unbroken runs are made first: files that
# still differ between them (wall-clock times) are left out of the comparison and listed. Prints one row per kill and a
# summary row for docs/reliability.md. Expects a release build (as scripts/test.sh makes it).
#
#   scripts/demo-crash-resume.sh [KILLS [SEED]]      defaults: 10 kills (one per stage), seed 13
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh jq sqlite3

kills=${1:-10}
seed=${2:-13}
rlhf=$PWD/.build/release/rlhf
config=$PWD/scripts/demo-crash-resume.json
work=$(mktemp -d -t rlhf-demo-crash.XXXXXX)
# A failed run's log is the only account of what went wrong: keep the folder then, and say where.
trap 'status=$?; if [ $status -eq 0 ]; then rm -rf "$work"; else echo "demo-crash-resume failed (status $status); logs kept in $work" >&2; fi' EXIT

demo() { "$rlhf" demo --preset quick --config "$config" --data data --output "$1" > "$1.log" 2>&1; }

# One line per file: its path and a digest of its content. A store is digested by its dump with
# its timestamps, annotators' token digests (random by design) and the run folder's path blanked;
# a metrics log without its throughput and timing fields (as the training crash harness compares
# them); every other file byte for byte.
digest() {
    (cd "$1" && find . -type f ! -name '*-wal' ! -name '*-shm' | sort | while read -r file; do
        case $file in
            *.sqlite) sqlite3 "$file" .dump | sed -E -e "s/'[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+'/'T'/g" -e "s|$1/|RUN/|g" \
                -e "s/^(INSERT INTO annotator VALUES\([0-9]+,'[^']*',)'[0-9a-f]{64}'/\1'D'/" ;;
            */metrics.jsonl) jq -c 'with_entries(select(.key | test("^(tokens_per_second|comparisons_per_second|seconds)$|^time/") | not))' "$file" ;;
            *) cat "$file" ;;
        esac | sha256sum | cut -c1-16 | sed "s|^|$file |"
    done)
}

start=$(date +%s%N)
demo "$work/reference"
milliseconds=$(( ($(date +%s%N) - start) / 1000000 ))
demo "$work/again"
digest "$work/reference" > "$work/reference.digest"
digest "$work/again" > "$work/again.digest"
# Files whose content differs between two unbroken runs carry wall-clock times.
varying=$(comm -3 "$work/reference.digest" "$work/again.digest" | awk '{print $1}' | sort -u)
filter() { if [[ -n $varying ]]; then grep -v -F -f <(printf '%s \n' $varying) "$1" || true; else cat "$1"; fi; }
filter "$work/reference.digest" > "$work/reference.kept"

echo "Unbroken run: $(( milliseconds / 1000 )) s. Left out (differ between two unbroken runs): ${varying:-none}" | tr '\n' ' '
echo
echo
echo "| kill | delay into the stage | stage killed | identical files | differing files |"
echo "|---:|---:|---|---:|---|"
identical=0
# Kill i lands in stage i mod 10 (one of each for 10 kills): once the log shows that stage
# starting, after a seeded delay of up to 2 s, so kills fall both early and late in a stage.
mapfile -t delays < <(awk -v seed="$seed" -v n="$kills" 'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%.3f\n", rand() * 2 }')
for index in "${!delays[@]}"; do
    run=$work/killed-$index
    target=$(( index % 10 + 1 ))
    "$rlhf" demo --preset quick --config "$config" --data data --output "$run" > "$run.killed.log" 2>&1 &
    pid=$!
    until grep -q "\[$target/10\]" "$run.killed.log" || ! kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    sleep "${delays[$index]}"
    stage=$(grep -o '\[[0-9]*/[0-9]*\] [a-z -]*' "$run.killed.log" | tail -1 || true)
    kill -KILL "$pid" 2>/dev/null || stage="finished before the kill"
    wait "$pid" 2>/dev/null || true
    demo "$run"
    filter <(digest "$run") > "$run.kept"
    differing=$(comm -3 "$work/reference.kept" "$run.kept" | awk '{print $1}' | sort -u | tr '\n' ' ')
    same=$(comm -12 "$work/reference.kept" "$run.kept" | wc -l)
    [[ -z $differing ]] && identical=$(( identical + 1 ))
    echo "| $(( index + 1 )) | ${delays[$index]} s | ${stage:-before the first stage} | $same | ${differing:-none} |"
done
echo
echo "| \`rlhf demo\` killed and resumed | \`scripts/demo-crash-resume.sh $kills $seed\` | $identical/$kills kills identical |"
[[ $identical -eq $kills ]]
