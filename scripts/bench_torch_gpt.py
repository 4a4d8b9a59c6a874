"""The PyTorch side of `rlhf-bench model`: the same GPT-2 architecture (nanoGPT style: learned
positions, pre-LayerNorm blocks, tanh GELU, tied embeddings), timed on the same machine.

    python scripts/bench_torch_gpt.py train --size S --batch 16 --steps 10
    python scripts/bench_torch_gpt.py generate --size S --batch 1 --repetitions 3

Prints one JSON object: tokens per second (median over timed steps after warm-up), the step
time, and the process's peak resident memory.
"""
import argparse, json, math, resource, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

SIZES = {"S": dict(vocab=512, width=128, layers=4, heads=4, context=128),
         "M": dict(vocab=4096, width=256, layers=6, heads=8, context=256)}


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln_1, self.ln_2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.c_attn, self.c_proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.c_fc, self.mlp_proj = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x, cache=None):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            if "k" in cache:
                k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        y = F.scaled_dot_product_attention(q, k, v, is_causal=T > 1 and k.shape[2] == T)
        x = x + self.c_proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, width, layers, heads, context):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab, bias=False)
        self.head.weight = self.wte.weight
        self.apply(lambda m: nn.init.normal_(m.weight, std=0.02) if isinstance(m, (nn.Linear, nn.Embedding)) else None)

    def forward(self, idx, caches=None, offset=0):
        x = self.wte(idx) + self.wpe(torch.arange(offset, offset + idx.shape[1]))
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.head(self.ln_f(x))


def peak_memory_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def train(args, size):
    torch.manual_seed(0)
    model = GPT(**size).train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                                  lr=3e-4, betas=(0.9, 0.95))
    x = torch.randint(0, size["vocab"], (args.batch, size["context"] + 1))
    times = []
    for step in range(args.steps + 2):
        start = time.perf_counter()
        logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, size["vocab"]), x[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= 2:
            times.append(time.perf_counter() - start)
    tokens = args.batch * size["context"]
    return dict(tokens_per_second=tokens / statistics.median(times), step_seconds=statistics.median(times))


@torch.inference_mode()
def generate(args, size):
    prompt_length, new = 32, 128
    torch.manual_seed(0)
    size = dict(size, context=max(size["context"], prompt_length + new))
    model = GPT(**size).eval()
    prompt = torch.randint(0, size["vocab"], (args.batch, prompt_length))

    def sample(logits):
        return torch.multinomial(F.softmax(logits[:, -1, :], dim=-1), 1)

    def run():
        caches = [dict() for _ in model.blocks]
        token = sample(model(prompt, caches, 0))
        for i in range(new - 1):
            token = sample(model(token, caches, prompt_length + i))

    run()
    times = []
    for _ in range(args.repetitions):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return dict(tokens_per_second=args.batch * new / statistics.median(times), step_seconds=statistics.median(times) / new)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["train", "generate"])
    parser.add_argument("--size", choices=list(SIZES), default="S")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = (train if args.task == "train" else generate)(args, SIZES[args.size])
    result.update(implementation="pytorch " + torch.__version__, task=args.task, size=args.size, batch=args.batch,
                  peak_memory_mb=peak_memory_mb())
    print(json.dumps(result))
