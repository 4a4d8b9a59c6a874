#!/usr/bin/env bash
# Crash-and-resume harness at more kill points than the test suite's default: every training
# command (pretrain, sft, LoRA sft on Llama, reward train, ppo, dpo) is SIGKILLed at seeded moments,
# continued, possibly killed again, and its final metrics, checkpoints and model compared bit for
# bit with an unbroken run (Tests/CommandLineTests/CrashResumeTests.swift); then `rlhf demo` is
# killed and resumed the same way (scripts/demo-crash-resume.sh). Prints the tables for
# docs/reliability.md. Expects a release build with tests (as scripts/test.sh makes it).
#
#   scripts/crash-resume.sh [KILL_POINTS [SEED [DEMO_KILLS]]]   defaults: 12 kill points per job, seed 13, 10 demo kills
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-packages.sh jq sqlite3

points=${1:-12}
seed=${2:-13}
demo_kills=${3:-10}
report=$(mktemp)
trap 'rm -f "$report"' EXIT

start=$(date +%s)
status=0
RLHF_CRASH_KILL_POINTS=$points RLHF_CRASH_SEED=$seed RLHF_CRASH_REPORT=$report \
    swift test -c release -Xswiftc -enable-testing --skip-build --filter CrashResumeTests >&2 || status=$?
seconds=$(( $(date +%s) - start ))

echo "Seed $seed, $points kill points per job, $seconds s on $(nproc) cores."
echo
echo "| job | kill points | kills | inside a checkpoint write | inside any file write | resumed from a checkpoint | identical results | temporaries left |"
echo "|---|---:|---:|---:|---:|---:|---|---:|"
jq -rs 'sort_by(.job)[] | "| \(.job) | \(.killPoints) | \(.kills) | \(.inCheckpointWrite) | \(.inAnyWrite) | \(.resumedFromCheckpoint) | \(if .identical == .killPoints then "yes" else "no" end) (\(.identical)/\(.killPoints)) | \(.temporariesLeft) |"' "$report"
echo
echo "Temporaries left in finished run folders: $(jq -rs '[.[].temporaryNames[]] | unique | map("`" + . + "`") | join(", ")' "$report")"
echo
scripts/demo-crash-resume.sh "$demo_kills" "$seed" || status=$?
exit $status
