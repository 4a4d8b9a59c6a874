"""Writes the PyTorch reference fixtures for the numerical engine (Tests/Fixtures/engine/*.json).

Each op fixture holds float32-representable random inputs, the op's output computed in float64,
an upstream gradient, and the float64 gradients of every differentiable input. The two training
fixtures hold initial weights, data and the losses of 10 AdamW steps run by PyTorch in float32.

    python scripts/make_engine_fixtures.py [OUT_DIR]
"""
import json, math, os, sys
import torch
import torch.nn.functional as F

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "engine")
os.makedirs(OUT, exist_ok=True)
gen = torch.Generator().manual_seed(1234)


def rand(*shape, scale=1.0):
    """float32-representable values, returned as float64 for an exact reference."""
    return (torch.randn(tuple(shape), generator=gen) * scale).float().double()


def tensor_json(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def write(name, payload):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(payload, f, separators=(",", ":"))
    print("wrote", name)


def op_fixture(name, fn, inputs, constants=None, seed_scale=1.0):
    """inputs: dict name -> float64 tensor (differentiable); constants: JSON-able extras."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = fn(**leaves)
    upstream = rand(*out.shape, scale=seed_scale)
    (out * upstream).sum().backward()
    write(name, {
        "inputs": {k: tensor_json(v) for k, v in inputs.items()},
        "constants": constants or {},
        "output": tensor_json(out),
        "upstream": tensor_json(upstream),
        "gradients": {k: tensor_json(v.grad) for k, v in leaves.items()},
    })


def gelu(x):
    return F.gelu(x, approximate="tanh")


def attention(qkv, heads, first=None):
    B, T, C3 = qkv.shape
    C = C3 // 3
    q, k, v = qkv.split(C, dim=2)
    q, k, v = (t.view(B, T, heads, C // heads).transpose(1, 2) for t in (q, k, v))
    scores = q @ k.transpose(-1, -2) / math.sqrt(C // heads)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    mask = mask.expand(B, 1, T, T).clone()
    if first is not None:
        for b, f in enumerate(first):
            mask[b, :, :, :f] = False
    scores = scores.masked_fill(~mask, float("-inf"))
    probs = torch.softmax(scores, dim=-1).nan_to_num(0.0)  # a padding query sees no key: output 0
    y = probs @ v
    return y.transpose(1, 2).reshape(B, T, C)


def make_ops():
    B, T, C, V = 2, 5, 8, 11
    op_fixture("linear_conv1d", lambda x, w, b: x @ w + b, {"x": rand(B, T, C), "w": rand(C, 12), "b": rand(12)})
    op_fixture("linear_nobias_transposed", lambda x, w: x @ w.T, {"x": rand(B, T, C), "w": rand(12, C)})
    for ta in (False, True):
        for tb in (False, True):
            a = rand(3, 4, 6) if ta else rand(3, 6, 4)
            b = rand(3, 5, 4) if tb else rand(3, 4, 5)
            op_fixture(f"matmul_{int(ta)}{int(tb)}",
                       lambda a, b, ta=ta, tb=tb: (a.transpose(-1, -2) if ta else a) @ (b.transpose(-1, -2) if tb else b),
                       {"a": a, "b": b}, {"transposeA": ta, "transposeB": tb})
    tokens = torch.randint(0, V, (B, T), generator=gen)
    tokens[0, 1] = tokens[0, 3]  # a repeated token: its embedding gradient must accumulate
    positions = torch.tensor([[0, 1, 2, 3, 4], [2, 3, 4, 5, 6]])
    op_fixture("embedding", lambda wte, wpe: wte[tokens] + wpe[positions],
               {"wte": rand(V, C), "wpe": rand(7, C)},
               {"tokens": tokens.reshape(-1).tolist(), "positions": positions.reshape(-1).tolist(), "batch": B, "time": T})
    op_fixture("layer_norm", lambda x, w, b: F.layer_norm(x, (C,), w, b, eps=1e-5),
               {"x": rand(B, T, C, scale=2.0) + 0.5, "w": rand(C), "b": rand(C)})
    op_fixture("gelu", gelu, {"x": rand(3, 37, scale=2.5)})
    op_fixture("attention", lambda qkv: attention(qkv, 2), {"qkv": rand(B, 6, 3 * C)}, {"heads": 2})
    op_fixture("attention_long", lambda qkv: attention(qkv, 2), {"qkv": rand(1, 70, 3 * 4)}, {"heads": 2})
    op_fixture("attention_padded", lambda qkv: attention(qkv, 2, [0, 2]), {"qkv": rand(B, 6, 3 * C)},
               {"heads": 2, "firstPosition": [0, 2]})
    targets = torch.randint(0, V, (B * T,), generator=gen)
    targets[3] = -100
    targets[7] = -100
    op_fixture("cross_entropy", lambda z: F.cross_entropy(z.reshape(-1, V), targets, ignore_index=-100),
               {"z": rand(B, T, V, scale=3.0)},
               {"targets": [int(t) if t >= 0 else -1 for t in targets.tolist()]})
    picked = torch.randint(0, V, (B * T,), generator=gen)
    op_fixture("token_log_probabilities",
               lambda z: torch.log_softmax(z / 0.7, dim=-1).reshape(-1, V).gather(1, picked[:, None]).reshape(B, T),
               {"z": rand(B, T, V, scale=3.0)}, {"tokens": picked.tolist(), "temperature": 0.7})
    op_fixture("entropy", lambda z: -(torch.softmax(z / 0.7, -1) * torch.log_softmax(z / 0.7, -1)).sum(-1),
               {"z": rand(B, T, V, scale=3.0)}, {"temperature": 0.7})
    x, y = rand(4, 9, scale=3.0), rand(4, 9, scale=3.0)
    y[0, :3] = x[0, :3]  # ties: torch.minimum/maximum split the gradient in half
    op_fixture("log_sigmoid", lambda x: F.logsigmoid(x), {"x": torch.cat([rand(4, 9, scale=4.0), torch.tensor([[30.0, -30.0, 0.0] * 3]).double()])})
    op_fixture("exp", lambda x: torch.exp(x), {"x": rand(4, 9)})
    op_fixture("square", lambda x: x * x, {"x": rand(4, 9)})
    op_fixture("clamp", lambda x: x.clamp(0.8, 1.2), {"x": 1 + rand(4, 9, scale=0.4)}, {"low": 0.8, "high": 1.2})
    op_fixture("minimum", lambda x, y: torch.minimum(x, y), {"x": x, "y": y})
    op_fixture("maximum", lambda x, y: torch.maximum(x, y), {"x": x, "y": y})
    op_fixture("multiply", lambda x, y: x * y, {"x": x, "y": y})
    op_fixture("subtract", lambda x, y: x - y, {"x": x, "y": y})
    op_fixture("add", lambda x, y: x + y, {"x": x, "y": y})
    op_fixture("affine", lambda x: x * -0.3 + 2.0, {"x": x}, {"scale": -0.3, "offset": 2.0})
    mask = (torch.rand(4, 9, generator=gen) > 0.3).double()
    mask[2] = 0  # an all-padding row
    op_fixture("masked_mean", lambda x: (x * mask).sum() / mask.sum(), {"x": x}, {"mask": mask.reshape(-1).tolist()})
    op_fixture("row_masked_mean", lambda x: (x * mask).sum(-1) / mask.sum(-1).clamp(min=1) * (mask.sum(-1) > 0),
               {"x": x}, {"mask": mask.reshape(-1).tolist()})
    op_fixture("row_masked_sum", lambda x: (x * mask).sum(-1), {"x": x}, {"mask": mask.reshape(-1).tolist()})
    last = torch.tensor([4, 1])
    op_fixture("gather_last", lambda h: h[torch.arange(B), last], {"h": rand(B, T, C)}, {"positions": last.tolist()})
    op_fixture("slice_time", lambda h: h[:, 1:4], {"h": rand(B, T, C)}, {"axis": 1, "start": 1, "end": 4})
    op_fixture("concatenate", lambda a, b: torch.cat([a, b], 1), {"a": rand(B, 2, 3), "b": rand(B, 4, 3)}, {"axis": 1})


def adamw(params, lr):
    decay = [p for p in params if p.dim() >= 2]
    rest = [p for p in params if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95), eps=1e-8)


def schedule(step, peak=1e-2, warmup=3, total=10, minimum=1e-3):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / (total - warmup)
    return minimum + 0.5 * (1 + math.cos(math.pi * progress)) * (peak - minimum)


def train(name, params, loss_fn, data):
    initial = {k: tensor_json(v) for k, v in params.items()}
    opt = adamw(list(params.values()), schedule(0))
    losses, norms = [], []
    for step in range(10):
        for group in opt.param_groups:
            group["lr"] = schedule(step)
        opt.zero_grad()
        loss = loss_fn(**params)
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)))
        opt.step()
        losses.append(float(loss))
    write(name, {"initial": initial, "data": data, "losses": losses, "gradientNorms": norms,
                 "final": {k: tensor_json(v) for k, v in params.items()}})


def make_training():
    torch.manual_seed(7)
    N, D, H, K = 16, 8, 32, 5
    x = torch.randn(N, D)
    y = torch.randint(0, K, (N,))
    p = {"fc1.weight": torch.randn(H, D) * 0.3, "fc1.bias": torch.randn(H) * 0.1,
         "ln.weight": 1 + torch.randn(H) * 0.1, "ln.bias": torch.randn(H) * 0.1,
         "fc2.weight": torch.randn(K, H) * 0.3, "fc2.bias": torch.randn(K) * 0.1}
    p = {k: v.requires_grad_(True) for k, v in p.items()}

    def mlp(**w):
        h = F.linear(x, w["fc1.weight"], w["fc1.bias"])
        h = gelu(F.layer_norm(h, (H,), w["ln.weight"], w["ln.bias"]))
        return F.cross_entropy(F.linear(h, w["fc2.weight"], w["fc2.bias"]), y)

    train("train_mlp", p, mlp, {"x": tensor_json(x), "targets": y.tolist()})

    B, T, C, V, heads = 4, 12, 16, 23, 2
    tokens = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))
    targets[:, :3] = -100
    std = 0.2
    shapes = {"wte.weight": (V, C), "wpe.weight": (T, C), "ln_1.weight": (C,), "ln_1.bias": (C,),
              "attn.c_attn.weight": (C, 3 * C), "attn.c_attn.bias": (3 * C,), "attn.c_proj.weight": (C, C),
              "attn.c_proj.bias": (C,), "ln_2.weight": (C,), "ln_2.bias": (C,), "mlp.c_fc.weight": (C, 4 * C),
              "mlp.c_fc.bias": (4 * C,), "mlp.c_proj.weight": (4 * C, C), "mlp.c_proj.bias": (C,),
              "ln_f.weight": (C,), "ln_f.bias": (C,)}
    p = {}
    for k, s in shapes.items():
        base = 1.0 if k.endswith("ln_1.weight") or k.endswith("ln_2.weight") or k == "ln_f.weight" else 0.0
        p[k] = (base + torch.randn(*s) * std).requires_grad_(True)

    def block(**w):
        h = w["wte.weight"][tokens] + w["wpe.weight"][torch.arange(T)]
        a = F.layer_norm(h, (C,), w["ln_1.weight"], w["ln_1.bias"]) @ w["attn.c_attn.weight"] + w["attn.c_attn.bias"]
        h = h + attention(a, heads) @ w["attn.c_proj.weight"] + w["attn.c_proj.bias"]
        m = gelu(F.layer_norm(h, (C,), w["ln_2.weight"], w["ln_2.bias"]) @ w["mlp.c_fc.weight"] + w["mlp.c_fc.bias"])
        h = h + m @ w["mlp.c_proj.weight"] + w["mlp.c_proj.bias"]
        logits = F.layer_norm(h, (C,), w["ln_f.weight"], w["ln_f.bias"]) @ w["wte.weight"].T
        return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-100)

    train("train_attention_block", p, block,
          {"tokens": tokens.reshape(-1).tolist(), "targets": [int(t) if t >= 0 else -1 for t in targets.reshape(-1).tolist()],
           "batch": B, "time": T, "heads": heads})


if __name__ == "__main__":
    torch.set_default_dtype(torch.float32)
    make_ops()
    make_training()
