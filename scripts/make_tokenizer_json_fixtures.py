#!/usr/bin/env python3
"""Writes the tokenizer.json test fixtures with Hugging Face's `tokenizers` and transformers, and
checks the tokenizer.json folders the Swift tokenizer writes with both libraries.

  hf/trained/tokenizer.json   the Swift-trained vocabulary of Tests/Fixtures/tokenizer/trained/ as
                              `tokenizers` saves it: GPT-2's ByteLevel pre-tokenizer, one compact
                              line, merges as [left, right] pairs
  hf/digits/                  a vocabulary that `tokenizers` trains (with plain ByteLevel, so that
                              digits merge) on a KJV + Hamlet excerpt: only the bytes it saw and the
                              special tokens first, as in SmolLM2; saved with SmolLM2's
                              Sequence[Digits(individual_digits), ByteLevel] pre-tokenizer by
                              transformers' save_pretrained, with ChatML special tokens and template
  tokenizer_json_golden.json  texts -> ids under each (and the decoded text under hf/digits, which
                              drops the bytes it lacks), from `tokenizers`, agreed by transformers

Then, once the Swift tests have written them (RECORD_TOKENIZER_FIXTURES=1; see
TokenizerJSONFixtureTests.swift), checks that written/trained and written/digits load in `tokenizers`
and in transformers' AutoTokenizer to the same ids, decoded text and special tokens. So: run this,
run the Swift tests with RECORD_TOKENIZER_FIXTURES=1, run this again.

Run from anywhere, after scripts/fetch-data.sh, with the pinned packages installed (transformers
5.23 brings tokenizers 0.23):
  scripts/setup-python.sh
  .venv/bin/python scripts/make_tokenizer_json_fixtures.py
"""
import json
import shutil
import sys
from pathlib import Path

import tokenizers
import transformers
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures" / "tokenizer"
TRAINED = FIXTURES / "trained"
HF = FIXTURES / "hf"
WRITTEN = FIXTURES / "written"

DIGITS_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# SmolLM2-135M-Instruct's template.
CHATML = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SETTINGS = {
    "trained": {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"},
    "digits": {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "chat_template": CHATML},
}
# Beyond trained_golden.json's texts: numbers (where digits apart changes ids), other number
# characters, runs of spaces before digits, control bytes and the ChatML markers.
EXTRA_TEXTS = [
    "Ge1:1 In the beginning God created the heaven and the earth. 10:12, 2024 and 31:55",
    "  1  22   333\n\n4444 x86_64 3.14159",
    "Ⅻ ½ ² ٣ ① ⁴",
    "<|im_start|>user\nWhat is 12 + 30?<|im_end|>\n<|im_start|>assistant\n42<|im_end|>",
    "bell\u0007 null\u0000 esc\u001b[0m del\u007f",
]


def golden_texts():
    golden = json.loads((FIXTURES / "trained_golden.json").read_text(encoding="utf-8"))
    return [(case["text"], case["ids"]) for case in golden["cases"]] + [(text, None) for text in EXTRA_TEXTS]


def trained_tokenizer():
    """The Swift-trained files as a `tokenizers` GPT-2-style tokenizer."""
    tokenizer = Tokenizer(models.BPE.from_file(str(TRAINED / "vocab.json"), str(TRAINED / "merges.txt")))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])
    return tokenizer


def digits_tokenizer():
    """A SmolLM2-shaped tokenizer trained here; returns it and its plain-ByteLevel twin."""
    corpus = [(ROOT / "data/corpus/kjv.txt").read_text(encoding="utf-8")[:60000],
              (ROOT / "data/corpus/hamlet.txt").read_text(encoding="utf-8")[2000:30000]]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=700, special_tokens=DIGITS_SPECIAL, show_progress=False))
    plain = Tokenizer.from_str(tokenizer.to_str())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                       pre_tokenizers.ByteLevel(add_prefix_space=False)])
    return tokenizer, plain


def make_fixtures():
    trained = trained_tokenizer()
    (HF / "trained").mkdir(parents=True, exist_ok=True)
    trained.save(str(HF / "trained" / "tokenizer.json"), pretty=False)

    digits, plain = digits_tokenizer()
    shutil.rmtree(HF / "digits", ignore_errors=True)
    PreTrainedTokenizerFast(tokenizer_object=digits, **SETTINGS["digits"]).save_pretrained(str(HF / "digits"))
    digits = Tokenizer.from_file(str(HF / "digits" / "tokenizer.json"))

    cases = []
    for text, trained_ids in golden_texts():
        case = {"text": text, "trained": trained.encode(text).ids, "digits": digits.encode(text).ids}
        assert trained_ids is None or case["trained"] == trained_ids, f"tokenizers disagrees with trained_golden.json on {text!r}"
        case["digits_decoded"] = digits.decode(case["digits"], skip_special_tokens=False)
        case["digits_differs_from_bytelevel"] = case["digits"] != plain.encode(text).ids
        cases.append(case)
    assert any(case["digits_differs_from_bytelevel"] for case in cases), "no text tells the Digits pre-tokenizer apart"
    assert any(case["digits_decoded"] != case["text"] for case in cases), "no text has bytes the digits vocabulary lacks"
    check_folder("hf/trained", HF / "trained", cases, "trained", settings=None)
    check_folder("hf/digits", HF / "digits", cases, "digits", SETTINGS["digits"])
    return {"generator": "scripts/make_tokenizer_json_fixtures.py", "tokenizers": tokenizers.__version__,
            "transformers": transformers.__version__, "settings": SETTINGS, "cases": cases}


def check_folder(label, folder, cases, variant, settings):
    """`tokenizers` and transformers load `folder` to the golden ids, decoded text and settings."""
    library = Tokenizer.from_file(str(folder / "tokenizer.json"))
    auto = AutoTokenizer.from_pretrained(str(folder))
    for case in cases:
        expected = case[variant]
        decoded = case["digits_decoded"] if variant == "digits" else case["text"]
        assert library.encode(case["text"]).ids == expected, f"{label}: tokenizers ids differ on {case['text']!r}"
        assert library.decode(expected, skip_special_tokens=False) == decoded, f"{label}: tokenizers decodes {case['text']!r} differently"
        assert auto.encode(case["text"], add_special_tokens=False) == expected, f"{label}: transformers ids differ on {case['text']!r}"
        assert auto.decode(expected, clean_up_tokenization_spaces=False) == decoded, f"{label}: transformers decodes {case['text']!r} differently"
    for key, value in (settings or {}).items():
        assert getattr(auto, key) == value, f"{label}: transformers reads {key} as {getattr(auto, key)!r}, not {value!r}"
    print(f"{label}: tokenizers and transformers {type(auto).__name__} give the golden ids on {len(cases)} texts")


def write_json(path, value):
    """One line per case, so that a changed id shows as one changed line in a diff."""
    header = {key: item for key, item in value.items() if key != "cases"}
    lines = [json.dumps(case, ensure_ascii=False) for case in value["cases"]]
    text = json.dumps(header, ensure_ascii=False, indent=1)[:-2] + ',\n "cases": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"
    json.loads(text)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


def main():
    if not (ROOT / "data/corpus/kjv.txt").exists():
        sys.exit("data/corpus is missing: run scripts/fetch-data.sh first")
    golden = make_fixtures()
    write_json(FIXTURES / "tokenizer_json_golden.json", golden)
    for variant in ["trained", "digits"]:
        folder = WRITTEN / variant
        if not (folder / "tokenizer.json").exists():
            print(f"no Swift-written {folder.relative_to(ROOT)} yet: run the Swift tests with RECORD_TOKENIZER_FIXTURES=1, then this again")
            continue
        check_folder(f"Swift-written {variant}", folder, golden["cases"], variant, SETTINGS[variant])


if __name__ == "__main__":
    main()
