#!/usr/bin/env bash
# Reproduces the reward-model results (docs/reward.md) with the rlhf binary alone:
#   1. the demo-size language model: tokenizer, pretraining, SFT on Rotten Tomatoes snippets of
#      the training movies;
#   2. real human labels: reward models trained on within-movie fresh ≻ rotten pairs (the SFT
#      backbone fine-tuned; a head on the frozen pretrained SmolLM2-135M), their ROC AUC on
#      held-out movies' snippets beside the lexicon baseline;
#   3. simulated annotators: the SFT model's own samples judged by a panel built from VADER's
#      raters through the feedback store, reward models trained on 5,000 (timed) and 10,000 of
#      those comparisons, their accuracy against the population judge, and the learning curve.
#
#   scripts/reward-experiments.sh [WORK_DIR]      WORK_DIR defaults to /tmp/rlhf-reward
#
# Expects `swift build -c release` and scripts/fetch-data.sh to have run. Each step whose
# output exists is skipped, so an interrupted run continues.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${1:-/tmp/rlhf-reward}
RLHF=$ROOT/.build/release/rlhf
CORPUS=(--corpus "$ROOT/data/corpus/austen" --corpus "$ROOT/data/corpus/novels" --corpus "$ROOT/data/corpus/fortunes" --corpus "$ROOT/data/corpus/hamlet.txt")
LEXICON=$ROOT/data/reward/vader_lexicon.txt
mkdir -p "$WORK"
step() { echo "== $*" >&2; }

# 1. The demo-size model (vocab 4096, context 128, width 192, 4 layers, 4 heads).
[ -f "$WORK/tokenizer/vocab.json" ] || { step tokenizer; "$RLHF" tokenizer train "${CORPUS[@]}" --vocabulary-size 4096 --output "$WORK/tokenizer"; }
[ -f "$WORK/pretrain/model/config.json" ] || { step pretrain; "$RLHF" pretrain --tokenizer "$WORK/tokenizer" "${CORPUS[@]}" --output "$WORK/pretrain" --steps 600; }
[ -f "$WORK/rt/train.jsonl" ] || { step rotten-tomatoes data; "$RLHF" reward rotten-tomatoes --data "$ROOT/data/reward/rotten_tomatoes_corpus_full.csv" --output "$WORK/rt"; }
[ -f "$WORK/sft/model/config.json" ] || { step sft; "$RLHF" sft --model "$WORK/pretrain/model" --data "$WORK/rt/demonstrations.jsonl" --output "$WORK/sft" --steps 1500; }

# 2. Real human labels: fresh ≻ rotten within a movie, held-out movies never seen.
[ -f "$WORK/rm-rt/model/config.json" ] || { step reward model on Rotten Tomatoes pairs
    "$RLHF" reward train --model "$WORK/sft/model" --data "$WORK/rt/train.jsonl" --held-out "$WORK/rt/heldout.jsonl" \
        --config "$ROOT/scripts/reward-rt.json" --output "$WORK/rm-rt"; }
step evaluate on held-out movies
"$RLHF" reward eval --model "$WORK/rm-rt/model" --data "$WORK/rt/heldout.jsonl" --labelled "$WORK/rt/heldout-texts.jsonl" \
    --lexicon "$LEXICON" --output "$WORK/rm-rt/eval.json"

# 2b. The same pairs with a head on the frozen pretrained SmolLM2-135M-Instruct backbone; rewards
# normalised on the SFT policy's samples. The backbone reads each snippet once (cached).
[ -f "$WORK/rm-rt-smollm2/model/config.json" ] || { step reward model on a frozen SmolLM2 backbone
    "$RLHF" reward train --model "$ROOT/data/models/SmolLM2-135M-Instruct.Q4_1.gguf" --data "$WORK/rt/train.jsonl" \
        --held-out "$WORK/rt/heldout.jsonl" --policy "$WORK/sft/model" --config "$ROOT/scripts/reward-rt-smollm2.json" \
        --feature-cache "$WORK/smollm2-features.safetensors" --output "$WORK/rm-rt-smollm2"; }
step evaluate the SmolLM2 reward model on held-out movies
"$RLHF" reward eval --model "$WORK/rm-rt-smollm2/model" --data "$WORK/rt/heldout.jsonl" --labelled "$WORK/rt/heldout-texts.jsonl" \
    --lexicon "$LEXICON" --feature-cache "$WORK/smollm2-features.safetensors" --output "$WORK/rm-rt-smollm2/eval.json"

# 3. Simulated annotators on the SFT model's own samples, through the feedback store.
sample() {  # sample OUTPUT PROMPTS COUNT SEED: SFT samples, two per prompt, as comparison tasks
    [ -f "$1" ] || "$RLHF" reward sample-tasks --model "$WORK/sft/model" --prompts "$2" --count "$3" --seed "$4" \
        --temperature 0.7 --top-k 40 --output "$1"
}
label() {  # label STORE TASKS SEED: import the tasks; ten simulated annotators judge 600 each
    "$RLHF" tasks import --db "$1" --file "$2"
    "$RLHF" simulate-annotators --db "$1" --lexicon "$LEXICON" --annotators 10 --judgments-per-annotator 600 \
        --temperature "${SIM_TEMPERATURE:-0.25}" --tie-margin 0.05 --seed "$3"
}
train_and_judge() {  # train_and_judge STORE COUNT RUN: a reward model on COUNT comparisons, judged on held-out tasks
    [ -f "$3/model/config.json" ] || { step reward model on "$2" simulated comparisons
        "$RLHF" reward train --model "$WORK/sft/model" --db "$1" --limit "$2" --config "$ROOT/scripts/reward-sim.json" --output "$3"; }
    step evaluate against the population judge
    "$RLHF" reward eval --model "$3/model" --tasks "$WORK/sim/heldout-tasks.jsonl" --population-judge --lexicon "$LEXICON" --output "$3/eval.json"
}

DB=$WORK/sim/feedback.sqlite
mkdir -p "$WORK/sim"
step sample tasks
sample "$WORK/sim/tasks.jsonl" "$WORK/rt/prompts-train.jsonl" 6000 1
sample "$WORK/sim/heldout-tasks.jsonl" "$WORK/rt/prompts-heldout.jsonl" 1000 2
[ -f "$DB" ] || { step label with simulated annotators; label "$DB" "$WORK/sim/tasks.jsonl" 1; }
train_and_judge "$DB" 5000 "$WORK/rm-sim"

# A second batch of 6,000 tasks, judged by the same panel (another seed), in a copy of the store:
# the 10,000-comparison model and the learning curve draw from all 12,000 judgments.
BIG=$WORK/sim-big/feedback.sqlite
mkdir -p "$WORK/sim-big"
sample "$WORK/sim-big/tasks2.jsonl" "$WORK/rt/prompts-train.jsonl" 6000 3
if [ ! -f "$BIG" ]; then
    step label the second batch
    cp "$DB" "$BIG"
    if [ -f "$DB-wal" ]; then cp "$DB-wal" "$BIG-wal"; fi
    label "$BIG" "$WORK/sim-big/tasks2.jsonl" 2
fi
train_and_judge "$BIG" 10000 "$WORK/rm-sim-10k"
[ -f "$WORK/curve/learning-curve.svg" ] || { step learning curve
    "$RLHF" reward learning-curve --model "$WORK/sft/model" --db "$BIG" --tasks "$WORK/sim/heldout-tasks.jsonl" --lexicon "$LEXICON" \
        --sizes 500,1000,2000,5000,10000 --config "$ROOT/scripts/reward-sim.json" --output "$WORK/curve"; }
step done: "$WORK/rm-rt/eval.json" "$WORK/rm-rt-smollm2/eval.json" "$WORK/rm-sim/eval.json" "$WORK/rm-sim-10k/eval.json" "$WORK/curve/learning-curve.svg"
