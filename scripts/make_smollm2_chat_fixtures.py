#!/usr/bin/env python3
"""Chat-template token ids and greedy answers of SmolLM2-135M-Instruct (the GGUF file
scripts/fetch-data.sh fetches) from Hugging Face transformers' own GGUF loader, for
Tests/Fixtures/llama/smollm2_chat.json.

    .venv/bin/python scripts/make_smollm2_chat_fixtures.py [GGUF] [--tokenizer-dir DIR]

For each of four questions and three prompt forms:
  "default"          tokenizer.apply_chat_template([user], add_generation_prompt=True): SmolLM2's
                     template inserts its default system message when the first message is not
                     a system message
  "explicit_system"  the same with an explicit system message first (the template then adds none)
  "no_system"        ChatML without any system message, written by hand (the template cannot make
                     it): <|im_start|>user\\n{q}<|im_end|>\\n<|im_start|>assistant\\n
it records the prompt text and ids, and the greedy answer (max_new_tokens 32, do_sample False,
stopping at <|im_end|> = 2): the generated ids, the answer ids without the final 2, the text, and
the top-1/top-2 logit margin at every step and its minimum (how robust each argmax is: a few are
about 2e-3, the size of the Swift engine's logit tolerance against this loader).
Also the tokenizer's special tokens. --tokenizer-dir saves the tokenizer as transformers writes it
(tokenizer.json, tokenizer_config.json, chat_template.jinja) into DIR; its tokenizer.json (about
3.5 MB) is not committed, its size and SHA-256 are in the fixture.
"""
import argparse, hashlib, importlib.metadata, json, os, sys, tempfile
from pathlib import Path
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

QUESTIONS = ["Who are you?", "What is the capital of France?", "Write one sentence about a movie you liked.", "Name three colors."]
SYSTEM = "You are a concise assistant."
MAX_NEW, IM_START, IM_END = 32, 1, 2

parser = argparse.ArgumentParser()
parser.add_argument("gguf", nargs="?", default="data/models/SmolLM2-135M-Instruct.Q4_1.gguf")
parser.add_argument("--tokenizer-dir", help="also save the tokenizer here (default: a temporary folder)")
parser.add_argument("--output", default=str(Path(__file__).resolve().parent.parent / "Tests/Fixtures/llama/smollm2_chat.json"))
args = parser.parse_args()

path = Path(args.gguf)
tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32).eval()
torch.manual_seed(0)
assert tokenizer.convert_tokens_to_ids(["<|im_start|>", "<|im_end|>"]) == [IM_START, IM_END]


def ids_of(encoded):
    return list(encoded["input_ids"] if isinstance(encoded, dict) or hasattr(encoded, "keys") else encoded)


def prompt_forms(question):
    user = [{"role": "user", "content": question}]
    system = [{"role": "system", "content": SYSTEM}] + user
    forms = {}
    for name, messages in (("default", user), ("explicit_system", system)):
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = ids_of(tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True))
        assert ids == tokenizer.encode(text, add_special_tokens=False)
        forms[name] = {"messages": messages, "text": text, "ids": ids}
    text = "<|im_start|>user\n" + question + "<|im_end|>\n<|im_start|>assistant\n"
    forms["no_system"] = {"messages": None, "text": text, "ids": tokenizer.encode(text, add_special_tokens=False)}
    return forms


@torch.no_grad()
def greedy(ids):
    out = model.generate(torch.tensor([ids]), max_new_tokens=MAX_NEW, do_sample=False, num_beams=1,
                         eos_token_id=IM_END, pad_token_id=IM_END, repetition_penalty=1.0,
                         return_dict_in_generate=True, output_logits=True)
    generated = out.sequences[0, len(ids):].tolist()
    margins = [float(v[0] - v[1]) for v in (torch.topk(step[0], 2).values for step in out.logits)]
    answer = generated[:-1] if generated and generated[-1] == IM_END else generated
    return {"generated_ids": generated, "stopped_at_im_end": bool(generated and generated[-1] == IM_END),
            "answer_ids": answer, "answer_text": tokenizer.decode(answer), "min_top2_margin": min(margins),
            "top2_margins": margins}


chats = []
for question in QUESTIONS:
    forms = prompt_forms(question)
    for form in forms.values():
        form["greedy"] = greedy(form["ids"])
    chats.append({"question": question, "prompts": forms})
    print(question, "->", repr(forms["default"]["greedy"]["answer_text"]), file=sys.stderr)

save_dir = args.tokenizer_dir or tempfile.mkdtemp(prefix="smollm2-tokenizer-")
tokenizer.save_pretrained(save_dir)
tokenizer_json = Path(save_dir) / "tokenizer.json"
digest = hashlib.sha256(tokenizer_json.read_bytes()).hexdigest()
print("tokenizer saved to", save_dir, "files:", sorted(os.listdir(save_dir)), "tokenizer.json bytes:",
      tokenizer_json.stat().st_size, "sha256:", digest, file=sys.stderr)

fixture = {
    "source": "transformers %s GGUF loader (tokenizers %s, gguf %s) on %s"
              % (transformers.__version__, __import__("tokenizers").__version__, importlib.metadata.version("gguf"), path.name),
    "chat_template": tokenizer.chat_template,
    "default_system_message": "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
    "explicit_system_message": SYSTEM,
    "special_tokens": {
        "bos_token": tokenizer.bos_token, "bos_token_id": tokenizer.bos_token_id,
        "eos_token": tokenizer.eos_token, "eos_token_id": tokenizer.eos_token_id,
        "pad_token": tokenizer.pad_token, "pad_token_id": tokenizer.pad_token_id,
        "unk_token": tokenizer.unk_token, "unk_token_id": tokenizer.unk_token_id,
        "im_start_id": IM_START, "im_end_id": IM_END, "endoftext_id": tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        "vocab_size": len(tokenizer),
        "encode_adds_bos": tokenizer.encode("hi") != tokenizer.encode("hi", add_special_tokens=False),
    },
    "generation": {"max_new_tokens": MAX_NEW, "do_sample": False, "eos_token_id": IM_END},
    "chats": chats,
    "saved_tokenizer_json": {"bytes": tokenizer_json.stat().st_size, "sha256": digest,
                             "made_by": "tokenizer.save_pretrained(DIR) of AutoTokenizer.from_pretrained(dir, gguf_file=...): "
                                        "scripts/make_smollm2_chat_fixtures.py --tokenizer-dir DIR"},
}
Path(args.output).write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n")
print("wrote", args.output, file=sys.stderr)
