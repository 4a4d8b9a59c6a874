#!/usr/bin/env python3
"""Writes the tokenizer test fixtures from the reference implementations.

  gpt2_golden.json    strings -> tiktoken `gpt2` ids, and -> pieces of GPT-2's pre-tokenization
                      pattern under the Python `regex` module
  trained_golden.json strings -> ids that transformers' GPT2Tokenizer gives with the Swift-trained
                      files in Tests/Fixtures/tokenizer/trained/ (checked against tiktoken's loader too)

Run from anywhere, after scripts/fetch-data.sh, with the pinned packages installed:
  scripts/setup-python.sh
  .venv/bin/python scripts/make_tokenizer_fixtures.py
Tests/Fixtures/tokenizer/trained/ is written by the Swift tests when RECORD_TOKENIZER_FIXTURES=1
(see TrainedFixtureTests.swift); rerun this script whenever those files change.
"""
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import regex
import tiktoken
import tiktoken.load
import transformers
from transformers import GPT2Tokenizer

ROOT = Path(__file__).resolve().parent.parent
GPT2_DIR = ROOT / "data" / "gpt2"
FIXTURES = ROOT / "Tests" / "Fixtures" / "tokenizer"
PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
# tiktoken caches downloads under the sha1 of their URL; these are the gpt2 encoding's two files.
TIKTOKEN_CACHE_NAMES = {
    "vocab.bpe": "6d1cbeee0f20b3d9449abfede4726ed8212e3aee",
    "encoder.json": "6c7ea1a7e38e3a7f062df639a5b80947f075ffe6",
}

CASES = [
    ("ascii", "hello world"),
    ("capitalised", "Hello world"),
    ("story", "Once upon a time, there was a little girl named Lily."),
    ("mixed unicode", "It's 2024 — naïve café! 🙂"),
    ("runs of spaces and newlines", "  two  spaces\n\nnewline"),
    ("spaces before word", "a     b"),
    ("trailing spaces", "end   "),
    ("leading newlines", "\n\n\nstart"),
    ("tabs", "\tindented\t\ttwice\t"),
    ("mixed whitespace before word", "x \t \n word"),
    ("carriage returns", "line one\r\nline two\r\n"),
    ("only whitespace", " \n \t "),
    ("contractions lower", "I'm sure it's what they'd've said we'll do, isn't it? You're, we've"),
    ("contractions upper", "I'M SURE IT'S WHAT THEY'D SAY WE'LL DO, ISN'T IT? YOU'RE, WE'VE"),
    ("apostrophe edge cases", "'s 's ''s 'x rock'n'roll '"),
    ("curly apostrophe", "don’t it’s"),
    ("digits", "3.14159 1,000,000 2024-11-21 007 x86_64"),
    ("long number", "12345678901234567890"),
    ("punctuation runs", "Wait... what?!?! (yes) [no] {maybe} --- *** ### @user #tag $5 100%"),
    ("code", "def f(x):\n    return x**2 + 1  # square\n"),
    ("cjk", "我爱自然语言处理。東京は日本の首都です。한국어 텍스트"),
    ("emoji", "👍🏽 family: 👨‍👩‍👧‍👦 flags: 🇫🇷🇯🇵 😀😀😀"),
    ("combining marks", "cafe\u0301 n\u0303 a\u0308\u0304 Z\u0351\u0352\u0353"),
    ("arabic and hebrew", "مرحبا بالعالم שלום עולם"),
    ("greek and cyrillic", "Γειά σου Κόσμε Привет мир"),
    ("other numbers", "Ⅻ ½ ² ٣ ①"),
    ("unicode whitespace", "a\u00a0b\u2003c\u3000d\u2028e\u0085f\u000bg\u000ch"),
    ("not whitespace", "a\u200bb\u001cc\ufeffd"),
    ("endoftext as text", "Hello<|endoftext|>world"),
    ("long word", "Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism"),
    ("long repeated letter", "a" * 300),
    ("long space run", " " * 200 + "x"),
    ("url", "https://example.com/path?query=1&b=two#frag"),
    ("control characters", "bell\u0007 null\u0000 esc\u001b[0m del\u007f"),
    ("empty", ""),
]
SPECIAL_CASES = [
    ("endoftext as special", "Hello<|endoftext|>world"),
    ("endoftext between documents", "First document.<|endoftext|>Second one.\n<|endoftext|>"),
    ("endoftext only", "<|endoftext|>"),
]
# Strings encoded with the trained tokenizer (its own corpus, other text, its special token).
TRAINED_CASES = [
    "To be, or not to be: that is the question:",
    "Whether 'tis nobler in the mind to suffer\nThe slings and arrows of outrageous fortune,",
    "HAMLET\nO, that this too too solid flesh would melt\n",
    "It's 2024 — naïve café! 🙂 我爱自然语言处理",
    "  two  spaces\n\nnewline\t\ttabs",
    "<|endoftext|>Enter the ghost.<|endoftext|>",
]


def corpus_excerpts():
    """Pieces of real corpus text, long enough to exercise many merges."""
    excerpts = []
    for relative, start, length in [
        ("corpus/austen/prideprejudice.txt", 0, 2500),
        ("corpus/hamlet.txt", 2000, 1500),
        ("corpus/kjv.txt", 0, 1200),
        ("corpus/fortunes/science", 0, 1500),
    ]:
        path = ROOT / "data" / relative
        text = path.read_text(encoding="utf-8")
        excerpts.append((f"corpus {relative}", text[start:start + length]))
    return excerpts


def gpt2_encoding(cache_dir):
    for name, cache_name in TIKTOKEN_CACHE_NAMES.items():
        shutil.copyfile(GPT2_DIR / name, Path(cache_dir) / cache_name)
    os.environ["TIKTOKEN_CACHE_DIR"] = cache_dir
    return tiktoken.get_encoding("gpt2")


def byte_alphabet():
    """GPT-2's byte -> character map of its vocabulary files."""
    printable = [b for b in range(256) if 0x21 <= b <= 0x7E or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
    remapped = [b for b in range(256) if b not in printable]
    return {**{b: chr(b) for b in printable}, **{b: chr(0x100 + i) for i, b in enumerate(remapped)}}


def listed_pair_bpe(word, merge_ranks):
    """Merges the listed pair of lowest rank, leftmost first, until no listed pair remains."""
    parts = [word[i:i + 1] for i in range(len(word))]
    while True:
        ranked = [(merge_ranks[pair], i) for i, pair in enumerate(zip(parts, parts[1:])) if pair in merge_ranks]
        if not ranked:
            return parts
        _, i = min(ranked)
        parts[i:i + 2] = [parts[i] + parts[i + 1]]


def check_listed_pair_rule(encoding):
    """The Swift tokenizer merges only pairs listed in vocab.bpe (GPT-2's and transformers' rule);
    tiktoken merges any two parts whose concatenation is a token. Check that on GPT-2's files
    every token's bytes encode to that one token under the listed-pair rule, as under tiktoken's."""
    to_byte = {c: b for b, c in byte_alphabet().items()}
    lines = (GPT2_DIR / "vocab.bpe").read_text(encoding="utf-8").split("\n")[1:]
    merge_ranks = {}
    for rank, line in enumerate(line for line in lines if line):
        left, right = (bytes(to_byte[c] for c in part) for part in line.split(" "))
        merge_ranks[(left, right)] = rank
    tokens = encoding.token_byte_values()
    for token in tokens:
        assert listed_pair_bpe(token, merge_ranks) == [token], f"{token!r} does not encode to itself"
    print(f"listed-pair rule: all {len(tokens)} GPT-2 tokens encode to themselves, as in tiktoken")


def gpt2_golden(encoding):
    pattern = regex.compile(PATTERN)
    cases = []
    for name, text in CASES + corpus_excerpts():
        cases.append({"name": name, "text": text, "special": False,
                      "ids": encoding.encode_ordinary(text), "pieces": pattern.findall(text)})
    for name, text in SPECIAL_CASES:
        cases.append({"name": name, "text": text, "special": True,
                      "ids": encoding.encode(text, allowed_special="all")})
    return {"generator": "scripts/make_tokenizer_fixtures.py", "tiktoken": tiktoken.__version__,
            "regex": regex.__version__, "encoding": "gpt2", "cases": cases}


def trained_golden():
    trained = FIXTURES / "trained"
    if not (trained / "vocab.json").exists():
        print("no Swift-trained files in Tests/Fixtures/tokenizer/trained yet: run the Swift tests with "
              "RECORD_TOKENIZER_FIXTURES=1 first")
        return None
    hf = GPT2Tokenizer(str(trained / "vocab.json"), str(trained / "merges.txt"))
    ranks = tiktoken.load.data_gym_to_mergeable_bpe_ranks(str(trained / "merges.txt"), str(trained / "vocab.json"))
    vocabulary = json.loads((trained / "vocab.json").read_text(encoding="utf-8"))
    encoding = tiktoken.Encoding("trained", pat_str=PATTERN, mergeable_ranks=ranks,
                                 special_tokens={"<|endoftext|>": vocabulary["<|endoftext|>"]})
    cases = []
    for text in TRAINED_CASES:
        ids = hf.encode(text)
        assert ids == encoding.encode(text, allowed_special="all"), f"transformers and tiktoken differ on {text!r}"
        cases.append({"text": text, "ids": ids})
    return {"generator": "scripts/make_tokenizer_fixtures.py", "transformers": transformers.__version__,
            "tiktoken": tiktoken.__version__, "cases": cases}


def write_json(path, value):
    """One line per case, so that a changed id shows as one changed line in a diff."""
    header = {key: item for key, item in value.items() if key != "cases"}
    lines = [json.dumps(case, ensure_ascii=False) for case in value["cases"]]
    text = json.dumps(header, ensure_ascii=False, indent=1)[:-2] + ',\n "cases": [\n  ' + ",\n  ".join(lines) + "\n ]\n}\n"
    json.loads(text)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


def main():
    if not (GPT2_DIR / "encoder.json").exists():
        sys.exit("data/gpt2 is missing: run scripts/fetch-data.sh first")
    FIXTURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as cache_dir:
        encoding = gpt2_encoding(cache_dir)
        check_listed_pair_rule(encoding)
        write_json(FIXTURES / "gpt2_golden.json", gpt2_golden(encoding))
    golden = trained_golden()
    if golden is not None:
        write_json(FIXTURES / "trained_golden.json", golden)


if __name__ == "__main__":
    main()
