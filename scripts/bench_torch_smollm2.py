#!/usr/bin/env python3
"""The PyTorch side of `rlhf-bench smollm2`: SmolLM2-135M-Instruct in float32 (the GGUF file's
weights as transformers' GGUF loader dequantises them), timed on this machine.

    .venv/bin/python scripts/bench_torch_smollm2.py [GGUF] [--threads 2] [--forward-repetitions 3]
        [--lora-steps 3] [--generate-repetitions 2] [--batch 8] [--context 128]
    .venv/bin/python scripts/bench_torch_smollm2.py [GGUF_OR_DIR] --phase forward|lora|generate-b1|generate-b16

Phases (each warms up once, then reports the median of the timed repetitions):
  forward       no-grad forward (all positions' logits) of batch x context random tokens
  lora          one PEFT LoRA training step (r 8, alpha 16, dropout 0, q/k/v/o/gate/up/down_proj;
                causal-LM loss over the same batch; backward; AdamW lr 1e-4 on the adapter)
  generate-b1   model.generate, batch 1, 32-token random prompt, 64 new tokens, greedy,
  generate-b16  min_new_tokens 64 so every row runs the full length; batch 16; the time includes
                the prompt's forward pass; tokens/s counts new tokens only (batch x 64 / time)

Without --phase the script loads the GGUF file once (transformers' GGUF loader), saves the
dequantised float32 model as a Hugging Face folder in a temporary directory (or --cache DIR, kept),
and runs every phase in its own subprocess on that folder, so each phase's peak RSS
(getrusage ru_maxrss of that subprocess: model load from safetensors plus the phase) is its own
and not the GGUF dequantisation's (reported separately as gguf_load_peak_rss_mb, null when --cache
already held the folder). The parent never imports torch (a child's ru_maxrss starts at its
parent's RSS). It prints one
JSON object on stdout: forward_tokens_per_second, lora_step_tokens_per_second,
generate_b1_tokens_per_second, generate_b16_tokens_per_second, peak_rss_mb {phase: MB}, seconds
{phase: median seconds per repetition}, and the settings. With --phase it prints one JSON line for
that phase: tokens_per_second, step_seconds, peak_memory_mb (what rlhf-bench's WorkerResult reads).
Progress goes to stderr. No network: HF_HUB_OFFLINE=1.
"""
import argparse, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = None  # imported by the phase subprocesses only: a child's ru_maxrss starts at its parent's RSS


def import_torch(threads):
    global torch
    import torch as module
    torch = module
    torch.set_num_threads(threads)

PROMPT, NEW = 32, 64
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
PHASES = ["forward", "lora", "generate-b1", "generate-b16"]


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(path):
    from transformers import AutoModelForCausalLM
    if os.path.isdir(path):
        return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    return AutoModelForCausalLM.from_pretrained(os.path.dirname(path) or ".", gguf_file=os.path.basename(path), dtype=torch.float32)


def save_float32(model, folder):
    """A GGUF-loaded model as a plain float32 Hugging Face folder (transformers refuses to
    save_pretrained a model it loaded from GGUF; the dequantised tensors are ordinary float32)."""
    from safetensors.torch import save_file
    os.makedirs(folder, exist_ok=True)
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.save_pretrained(folder)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()
             if not (k == "lm_head.weight" and config.tie_word_embeddings)}
    save_file(state, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})


def timed(fn, repetitions):
    fn()  # warm-up
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def random_tokens(vocab, shape, seed):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(17, vocab, shape, generator=gen)  # ids 0-16 are SmolLM2's special tokens


def forward(model, args):
    ids = random_tokens(model.config.vocab_size, (args.batch, args.context), 0)
    model.eval()

    def step():
        with torch.inference_mode():
            model(input_ids=ids).logits
    seconds = timed(step, args.forward_repetitions)
    return args.batch * args.context / seconds, seconds


def lora(model, args):
    from peft import LoraConfig, get_peft_model
    torch.manual_seed(0)
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=LORA_TARGETS,
                                             bias="none", task_type="CAUSAL_LM"))
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    ids = random_tokens(model.config.vocab_size, (args.batch, args.context), 0)

    def step():
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    seconds = timed(step, args.lora_steps)
    return args.batch * args.context / seconds, seconds


def generate(model, args, batch):
    prompt = random_tokens(model.config.vocab_size, (batch, PROMPT), 1)
    mask = torch.ones_like(prompt)
    model.eval()

    def run():
        with torch.inference_mode():
            out = model.generate(prompt, attention_mask=mask, max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False,
                                 num_beams=1, eos_token_id=2, pad_token_id=2)
        assert out.shape == (batch, PROMPT + NEW)
    seconds = timed(run, args.generate_repetitions)
    return batch * NEW / seconds, seconds


def run_phase(args):
    import_torch(args.threads)
    start = time.perf_counter()
    model = load(args.model)
    log(f"[{args.phase}] loaded in {time.perf_counter() - start:.1f} s")
    if args.phase == "forward":
        tps, seconds = forward(model, args)
    elif args.phase == "lora":
        tps, seconds = lora(model, args)
    else:
        tps, seconds = generate(model, args, 1 if args.phase == "generate-b1" else 16)
    log(f"[{args.phase}] {tps:.1f} tokens/s, {seconds:.3f} s per repetition")
    print(json.dumps({"phase": args.phase, "tokens_per_second": tps, "step_seconds": seconds,
                      "peak_memory_mb": peak_rss_mb(), "threads": args.threads,
                      "implementation": "pytorch " + torch.__version__ + ", transformers " + __import__("transformers").__version__}))


def run_dequantise(args):
    import_torch(args.threads)
    start = time.perf_counter()
    save_float32(load(args.model), args.save_float32)
    log(f"dequantised {args.model} with transformers' GGUF loader into {args.save_float32} in {time.perf_counter() - start:.1f} s")
    print(json.dumps({"peak_memory_mb": peak_rss_mb()}))


def run_all(args):
    cache = args.cache or tempfile.mkdtemp(prefix="smollm2-f32-")
    gguf_peak = None
    try:
        if not os.path.exists(os.path.join(cache, "config.json")):
            command = [sys.executable, os.path.abspath(__file__), args.model, "--save-float32", cache, "--threads", str(args.threads)]
            out = subprocess.run(command, stdout=subprocess.PIPE, check=True).stdout.decode()
            gguf_peak = json.loads(out.strip().splitlines()[-1])["peak_memory_mb"]
        results = {}
        for phase in PHASES:
            command = [sys.executable, os.path.abspath(__file__), cache, "--phase", phase] + passthrough(args)
            out = subprocess.run(command, stdout=subprocess.PIPE, check=True).stdout.decode()
            results[phase] = json.loads(out.strip().splitlines()[-1])
    finally:
        if not args.cache:
            shutil.rmtree(cache, ignore_errors=True)
    print(json.dumps({
        "implementation": results["forward"]["implementation"],
        "model": os.path.basename(args.model), "dtype": "float32", "threads": args.threads,
        "batch": args.batch, "context": args.context, "prompt": PROMPT, "new_tokens": NEW,
        "forward_tokens_per_second": results["forward"]["tokens_per_second"],
        "lora_step_tokens_per_second": results["lora"]["tokens_per_second"],
        "generate_b1_tokens_per_second": results["generate-b1"]["tokens_per_second"],
        "generate_b16_tokens_per_second": results["generate-b16"]["tokens_per_second"],
        "seconds": {p: r["step_seconds"] for p, r in results.items()},
        "peak_rss_mb": {p: r["peak_memory_mb"] for p, r in results.items()},
        "peak_rss_note": "ru_maxrss of each phase's own subprocess (float32 model loaded from safetensors, then the phase)",
        "gguf_load_peak_rss_mb": gguf_peak,
        "repetitions": {"forward": args.forward_repetitions, "lora": args.lora_steps, "generate": args.generate_repetitions},
    }))


def passthrough(args):
    return ["--threads", str(args.threads), "--batch", str(args.batch), "--context", str(args.context),
            "--forward-repetitions", str(args.forward_repetitions), "--lora-steps", str(args.lora_steps),
            "--generate-repetitions", str(args.generate_repetitions)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?", default="data/models/SmolLM2-135M-Instruct.Q4_1.gguf",
                        help="the GGUF file, or (with --phase) a Hugging Face folder")
    parser.add_argument("--phase", choices=PHASES)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--forward-repetitions", type=int, default=3)
    parser.add_argument("--lora-steps", type=int, default=3)
    parser.add_argument("--generate-repetitions", type=int, default=2)
    parser.add_argument("--cache", help="keep the dequantised float32 folder here (reused when it exists)")
    parser.add_argument("--save-float32", metavar="DIR", help=argparse.SUPPRESS)  # the dequantising subprocess
    args = parser.parse_args()
    (run_dequantise if args.save_float32 else run_phase if args.phase else run_all)(args)
