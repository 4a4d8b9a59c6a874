"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): small valid inputs of every
parser of outside input, which scripts/fuzz.sh mutates and the mutation tests damage, and the bad
inputs of fuzz/rejections/<target>/ whose messages docs/reliability.md shows. Only the
standard library is used, so the bytes are fixed by this file alone.

    python3 scripts/make_fuzz_corpus.py
"""
import json
import pathlib
import struct
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
FIXTURES = ROOT / "Tests" / "Fixtures"


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors, metadata=None):
    """tensors: (name, dtype, shape, raw bytes) in file order."""
    header, offset, body = {}, 0, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        body += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + body


def gguf_string(text):
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def gguf(metadata, tensors, alignment=32):
    """metadata: (key, type code, payload bytes); tensors: (name, dims innermost first, ggml type, raw)."""
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, kind, payload in metadata:
        out += gguf_string(key) + struct.pack("<I", kind) + payload
    offset = 0
    for name, dims, kind, raw in tensors:
        out += gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", kind, offset)
        offset += (len(raw) + alignment - 1) // alignment * alignment
    out += b"\0" * (-len(out) % alignment)
    for _, _, _, raw in tensors:
        out += raw + b"\0" * (-len(raw) % alignment)
    return out


def gguf_strings(values):
    return struct.pack("<IQ", 8, len(values)) + b"".join(gguf_string(v) for v in values)


def floats(values, code):
    return struct.pack("<%d%s" % (len(values), code), *values)


def bfloat16(values):
    return b"".join(struct.pack("<f", v)[2:] for v in values)


def main():
    six = [0.5, -1.0, 2.0, 0.25, -0.125, 3.0]
    write("safetensors", "f32-f16-bf16.safetensors", safetensors(
        [("a.weight", "F32", [2, 3], floats(six, "f")), ("b.bias", "F16", [3], floats(six[:3], "e")),
         ("c", "BF16", [1, 2], bfloat16(six[:2]))], metadata={"format": "pt"}))
    write("safetensors", "empty-tensor.safetensors", safetensors([("z", "F32", [0, 4], b"")]))

    llama_meta = [
        ("general.architecture", 8, gguf_string("llama")),
        ("llama.context_length", 4, struct.pack("<I", 64)),
        ("llama.embedding_length", 4, struct.pack("<I", 8)),
        ("llama.block_count", 4, struct.pack("<I", 1)),
        ("llama.feed_forward_length", 4, struct.pack("<I", 16)),
        ("llama.attention.head_count", 4, struct.pack("<I", 2)),
        ("llama.attention.head_count_kv", 4, struct.pack("<I", 1)),
        ("llama.attention.layer_norm_rms_epsilon", 6, struct.pack("<f", 1e-5)),
        ("llama.rope.freq_base", 12, struct.pack("<d", 10000.0)),
        ("tokenizer.ggml.tokens", 9, gguf_strings(["a", "b", "ab", "Ġ"])),
        ("tokenizer.ggml.merges", 9, gguf_strings(["a b"])),
        ("tokenizer.ggml.bos_token_id", 4, struct.pack("<I", 0)),
    ]
    block = struct.pack("<e", 0.5)
    write("gguf", "llama-f32-q8.gguf", gguf(llama_meta, [
        ("token_embd.weight", [8, 4], 0, floats([0.1 * i for i in range(32)], "f")),
        ("blk.0.attn_q.weight", [32, 1], 8, block + bytes(range(32))),
    ]))
    write("gguf", "q4-f16-bf16.gguf", gguf([("general.alignment", 4, struct.pack("<I", 64))], [
        ("q4_0", [32], 2, block + bytes(range(16))),
        ("q4_1", [32], 3, block + struct.pack("<e", -1.0) + bytes(range(16, 32))),
        ("f16", [2, 2], 1, floats([1.0, -2.0, 0.5, 4.0], "e")),
        ("bf16", [3], 30, bfloat16([1.0, 2.0, -3.0])),
    ], alignment=64))

    for name in ["gpt2-tiny/config.json", "llama-tiny/config.json", "gpt2-tiny-lora/adapter_config.json",
                 "llama-tiny-lora/adapter_config.json"]:
        write("model-config", name.replace("/", "-"), (FIXTURES / name).read_bytes())

    write("tokenizer-json", "digits-tokenizer.json", (FIXTURES / "tokenizer/hf/digits/tokenizer.json").read_bytes())
    write("tokenizer-json", "trained-tokenizer.json", (FIXTURES / "tokenizer/hf/trained/tokenizer.json").read_bytes())
    write("tokenizer-config", "tokenizer_config.json", (FIXTURES / "tokenizer/hf/digits/tokenizer_config.json").read_bytes())
    write("tokenizer-config", "named-templates.json", json.dumps({
        "bos_token": {"content": "<s>"}, "eos_token": "</s>", "pad_token": None,
        "chat_template": [{"name": "default", "template": "{{ messages }}"}, {"name": "tool_use", "template": "x"}]}))
    # vocab.json, a NUL byte, then merges.txt: the vocab-merges target splits its input there.
    trained = FIXTURES / "tokenizer/trained"
    write("vocab-merges", "trained.vocab-merges", (trained / "vocab.json").read_bytes() + b"\0" + (trained / "merges.txt").read_bytes())

    write("run-config", "pretrain.json", json.dumps(
        {"model": {"layers": 2}, "optimization": {"steps": 10, "batchSize": 4, "learningRate": 0.001}, "heldOutPeriod": 5}))
    write("run-config", "sft-lora.json", json.dumps(
        {"optimization": {"steps": 5}, "lora": {"rank": 2, "alpha": 4, "dropout": 0, "targetModules": ["q_proj", "v_proj"],
                                                "rankStabilized": False}}))

    write("demonstrations", "three-formats.jsonl", "\n".join(json.dumps(line) for line in [
        {"prompt": "Say hi.", "completion": "Hi."},
        {"prompt": "Name a colour.", "response": "Blue."},
        {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Two plus two?"}],
         "completion": [{"role": "assistant", "content": "Four."}]},
        {"messages": [{"role": "user", "content": "Café?"}, {"role": "assistant", "content": "Oui, \u00e9t\u00e9."}]},
    ]) + "\n\n")
    write("prompts", "mixed.txt", 'A plain prompt line\n{"prompt": "a JSON prompt \\u00e9"}\n\n  indented line\n')
    write("preferences", "three-formats.jsonl", "\n".join(json.dumps(line) if line else "" for line in [
        {"prompt": "Review Alien.", "chosen": "Tense and terrifying.", "rejected": "A film.", "group": "alien"},
        {"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Review Heat."}],
         "chosen": [{"role": "assistant", "content": "Taut."}], "rejected": [{"role": "assistant", "content": "Long."}]},
        None,
        {"chosen": [{"role": "user", "content": "Café?"}, {"role": "assistant", "content": "Oui."}],
         "rejected": [{"role": "user", "content": "Café?"}, {"role": "assistant", "content": "Non."}]},
    ]) + "\n")

    # Magic, version 1, the progress record's length and JSON, the moment count, both moment buffers.
    progress = b'{"seed":7,"step":3}'
    write("training-state", "three-moments.state", b"RLHFTRN\0" + struct.pack("<IQ", 1, len(progress)) + progress
          + struct.pack("<Q", 3) + floats([0.5, -1.0, 2e-3, 0.25, 1.0, 4.0], "f"))

    # The feedback server's request bodies (JSON and forms) and its task files.
    for name, body in [
        ("judgment.json", {"kind": "ranking", "tiers": [[2], [1, 3]], "bothBad": False, "reason": "1 is évasive", "betterAnswer": "Yes."}),
        ("chat.json", {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Review Heat."}]}),
        ("new-annotator.json", {"name": "carol", "role": "admin"}),
        ("generate.json", {"prompts": ["Review Alien.", "Review Heat."], "count": 4}),
        ("rating-and-correction.json", {"isGood": True, "text": "A better reply."}),
    ]:
        write("server-json", name, json.dumps(body))
    task = {"prompt": "Hi", "completions": [{"text": "a", "model": "m"}, {"text": "b", "model": "m", "seed": 3}]}
    for name, fields in [
        ("new-annotator.form", {"name": "carol", "role": "annotator"}),
        ("tasks-import.form", {"lines": json.dumps(task, separators=(",", ":"))}),
        ("generate.form", {"prompts": "Review Alien.\r\nReview Heat.", "count": "3"}),
    ]:
        write("server-form", name, urllib.parse.urlencode(fields))
    write("tasks", "two-tasks.jsonl", "\n".join(json.dumps(line) if line else "" for line in [
        {"prompt": "Review Alien.", "completions": [
            {"text": "Tense.", "model": "sft", "checkpoint": "runs/sft", "seed": 3,
             "sampling": {"temperature": 0.7, "topK": 40, "maxNewTokens": 32}},
            {"text": "Long.", "model": "ppo"}]},
        None,
        {"prompt": "Café?", "completions": [{"text": "Oui.", "model": "a"}, {"text": "Non.", "model": "b"},
                                             {"text": "Peut-être.", "model": "c"}]},
    ]) + "\n")


def bad(target, name, data):
    """A bad input whose message docs/reliability.md shows (scripts/fuzz.sh --rejections)."""
    folder = ROOT / "fuzz" / "rejections" / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def safetensors_header(header, body=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def rejections():
    bad("safetensors", "header-length-past-the-end", struct.pack("<Q", 4096) + b"{}")
    bad("safetensors", "overlapping-tensors", safetensors_header(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
        b"\0" * 12))
    bad("safetensors", "unsupported-dtype", safetensors_header({"a": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8))
    bad("safetensors", "shape-disagreeing-with-offsets",
        safetensors_header({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8))
    bad("gguf", "not-gguf", b"PK\x03\x04" + b"\0" * 28)
    bad("gguf", "array-length-past-the-end",
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 4) + b"list" + struct.pack("<IIQ", 9, 4, 2**40))
    config = json.loads((CORPUS / "model-config" / "gpt2-tiny-config.json").read_text())
    for name, field, value in [("heads-not-dividing-width.json", "n_head", 5), ("eos-outside-vocabulary.json", "eos_token_id", 10**6),
                               ("vocab-size-a-string.json", "vocab_size", "many")]:
        bad("model-config", name, json.dumps(dict(config, **{field: value})))
    bad("tokenizer-json", "not-json.json", '{"model": ')
    bad("tokenizer-json", "unigram-model.json", json.dumps({"model": {"type": "Unigram", "vocab": []}}))
    bad("vocab-merges", "merge-of-unknown-token", json.dumps({"a": 0, "b": 1}) + "\0#version: 0.2\na c\n")
    bad("tokenizer-config", "template-a-number.json", json.dumps({"chat_template": 7}))
    bad("training-state", "foreign-file", b"GGUF" + b"\0" * 40)
    bad("run-config", "negative-learning-rate.json", json.dumps({"optimization": {"learningRate": -1}}))
    bad("run-config", "misspelt-field.json", json.dumps({"optimisation": {"steps": 3}}))
    bad("demonstrations", "no-answer.jsonl", json.dumps({"prompt": "Say hi."}) + "\n")
    bad("demonstrations", "assistant-last.jsonl",
        json.dumps({"messages": [{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}]}) + "\n")
    bad("prompts", "json-line-without-prompt.txt", 'A prompt\n{"text": "no prompt field"}\n')
    bad("prompts", "blank.txt", "\n  \n")
    bad("preferences", "rejected-missing.jsonl", json.dumps({"prompt": "a", "chosen": "b"}) + "\n")
    bad("preferences", "answer-from-the-user.jsonl", json.dumps({
        "prompt": [{"role": "user", "content": "a"}], "chosen": [{"role": "user", "content": "b"}],
        "rejected": [{"role": "assistant", "content": "c"}]}) + "\n")


if __name__ == "__main__":
    main()
    rejections()
