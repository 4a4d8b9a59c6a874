#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers of outside input, with libFuzzer through the Swift
# compiler's fuzzer sanitizer (address sanitizer on).
#
#   scripts/fuzz.sh TARGET SECONDS [LIBFUZZER-OPTION ...]   fuzz one target for SECONDS
#   scripts/fuzz.sh --all SECONDS                          every target in turn, SECONDS each
#   scripts/fuzz.sh --list                                 the targets
#   scripts/fuzz.sh TARGET --replay FILE ...               run inputs once, printing each outcome
#   scripts/fuzz.sh --rejections                           the message each committed bad input gets
#
# The modules a target needs are compiled from Sources/ (instrumented, with testing enabled) under
# .build/fuzz, the target from fuzz/Targets/TARGET.swift. A run starts from the committed seeds in
# fuzz/corpus/TARGET and the inputs earlier runs found (.build/fuzz/corpus/TARGET). A crash (a
# trap, an error of another type or one that does not name the file, an input slower than 10 s,
# an allocation over 512 MB; leaks are not checked, Foundation keeps caches) stops the run and is
# kept in .build/fuzz/crashes/TARGET/. Each run prints a row of docs/reliability.md's table:
# target, executions, seconds, crashes in this run, crashes found earlier and fixed (the inputs
# committed in fuzz/regressions/TARGET, which the test suite replays).
set -euo pipefail
cd "$(dirname "$0")/.."
build=.build/fuzz
export ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
targets=(safetensors gguf training-state model-config tokenizer-json vocab-merges tokenizer-config run-config demonstrations prompts preferences tasks
    preference-lines server-json)

# Module dependencies in build order (a module's imports come before it).
modules_of() {
    local core="Randomness StableHashing Kernels Tensors TextFiles AtomicFiles Checkpoints Transformer"
    local training="$core Tokenization Optimization LanguageModeling TrainingRuns LanguageModelData Corpora Reporting ConfigFiles CMessagePassing DataParallel Finetuning"
    case "$1" in
        safetensors|training-state) echo "TextFiles AtomicFiles Checkpoints" ;;
        model-config) echo "$core" ;;
        gguf) echo "$core Tokenization LanguageModeling" ;;
        tokenizer-json|vocab-merges) echo "StableHashing Tokenization" ;;
        tokenizer-config) echo "$core Tokenization LanguageModeling" ;;
        run-config|demonstrations|prompts) echo "$training" ;;
        preferences) echo "$training RewardModeling PreferenceOptimization" ;;
        tasks|preference-lines|server-json) echo "TextFiles AtomicFiles FeedbackFormats" ;;
        *) echo "unknown target $1; scripts/fuzz.sh --list names them" >&2; exit 2 ;;
    esac
}

flags=(-O -sanitize=fuzzer,address -parse-as-library -enable-testing -package-name rlhfworkbench -I "$build/modules" -I Sources/CBLAS
    -I Sources/CMessagePassing/include)

# Compiles Sources/MODULE into one object, unless it is newer than every source file and every
# module compiled before it (any of which it may import).
compile_module() {
    local module=$1 object=$build/objects/$1.o
    shift
    if [[ -f $object ]] && [[ -z $(find "Sources/$module" \( -name '*.swift' -o -name '*.[ch]' \) -newer "$object") ]] \
        && { [[ $# -eq 0 ]] || [[ -z $(find "$@" -newer "$object") ]]; }; then return; fi
    echo "compiling $module" >&2
    if [[ -d Sources/$module/include ]]; then
        # A C target: its module map is in include/, which the flags put on the search path.
        clang -O2 -fPIC -I "Sources/$module/include" -c Sources/"$module"/*.c -o "$object" || { rm -f "$object"; return 1; }
        touch "$object"
        return
    fi
    # Explicit returns: callers test this function's status, which turns set -e off inside it, and
    # a failed compile must not be touched into looking up to date.
    swiftc "${flags[@]}" -wmo -num-threads 0 -module-name "$module" -emit-module -emit-module-path "$build/modules/$module.swiftmodule" \
        -c Sources/"$module"/*.swift -o "$object" || { rm -f "$object"; return 1; }
    # The compiler leaves an unchanged object's time alone; the modules after it compare against it.
    touch "$object"
}

build_target() {
    local target=$1 objects=()
    mkdir -p "$build/modules" "$build/objects" "$build/bin"
    for module in $(modules_of "$target"); do
        compile_module "$module" "${objects[@]}" || return 1
        objects+=("$build/objects/$module.o")
    done
    local binary=$build/bin/$target
    if [[ -f $binary ]] && [[ -z $(find fuzz/Support fuzz/Targets/"$target".swift "${objects[@]}" -newer "$binary") ]]; then return; fi
    echo "linking $target" >&2
    # Without a binary a failed link cannot leave the old one to be fuzzed as if it were new.
    rm -f "$binary"
    swiftc "${flags[@]}" -module-name FuzzTarget fuzz/Support/*.swift fuzz/Targets/"$target".swift "${objects[@]}" -lopenblas -ldl \
        -o "$binary" 2> >(grep -v "Cannot export local symbol" >&2) || return 1
}

fuzz_target() {
    local target=$1 seconds=$2
    shift 2
    if ! build_target "$target"; then
        echo "| $target | build failed | $seconds | - | - |"
        return 1
    fi
    local found=$build/corpus/$target crashes=$build/crashes/$target log=$build/logs/$target.log
    mkdir -p "$found" "$crashes" "$build/logs"
    local status=0
    "$build/bin/$target" "$found" "fuzz/corpus/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=512 -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$crashes/" "$@" > "$log" 2>&1 || status=$?
    local executions
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo 0)
    local crashed=0
    if [[ $status -ne 0 ]]; then
        crashed=1
        grep -E 'ERROR: |Fatal error|SUMMARY|Test unit written|untyped error|does not name' "$log" | head -8 >&2
    fi
    local fixed
    fixed=$(find "fuzz/regressions/$target" -type f 2>/dev/null | wc -l || true)
    echo "| $target | $executions | $seconds | $crashed | $fixed |"
    return "$status"
}

# Replays every committed bad input (fuzz/rejections/TARGET/NAME) and prints its message as a
# table row, the file's temporary folder left out.
rejections() {
    echo "| target | bad input | message |"
    echo "|---|---|---|"
    local folder target file message
    for folder in fuzz/rejections/*/; do
        target=$(basename "$folder")
        build_target "$target"
        for file in "$folder"*; do
            message=$(RLHF_FUZZ_VERBOSE=1 "$build/bin/$target" -runs=1 "$file" 2>&1 | sed -n 's/^refused: //p' | head -1 | sed 's|/[^ ]*/rlhf-fuzz-[0-9]*/||g')
            echo "| $target | $(basename "$file") | ${message:-read without error} |"
        done
    done
}

case "${1:-}" in
    ""|-h|--help) sed -n '2,20p' "$0"; exit 2 ;;
    --list) printf '%s\n' "${targets[@]}" ;;
    --rejections) rejections ;;
    --all)
        status=0
        echo "| target | executions | seconds | crashes | found earlier, fixed |"
        echo "|---|---|---|---|---|"
        for target in "${targets[@]}"; do fuzz_target "$target" "${2:?seconds}" || status=1; done
        exit "$status" ;;
    *)
        if [[ ${2:-} == --replay ]]; then
            build_target "$1"
            target=$1
            shift 2
            RLHF_FUZZ_VERBOSE=1 "$build/bin/$target" -runs=1 "$@" 2>&1 | grep -E '^(read|refused|Running|==|Fatal)' || true
        else
            fuzz_target "$1" "${2:?seconds}" "${@:3}"
        fi ;;
esac
