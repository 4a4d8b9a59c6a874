"""Makes transformers' Llama compute in float64 end to end when its weights are float64 (imported by
scripts/make_llama_training_fixtures.py and scripts/make_lora_fixtures.py; not run by itself).

transformers 5.23's LlamaForCausalLM rounds to float32 inside a float64 model in three places:
RMSNorm normalises in float32, eager attention's softmax runs in float32 (and a fully masked
padding row then becomes NaN, because float64's most negative number is -inf in float32), and
RoPE's cos/sin are computed in float32. `patch()` replaces those three functions by the same
math in the input's dtype; nothing else changes. For float32 inputs the results are unchanged.
"""
import torch
from torch import nn
from transformers.models.llama import modeling_llama


def _rms_norm_forward(self, hidden_states):
    dtype = torch.float64 if hidden_states.dtype == torch.float64 else torch.float32
    input_dtype = hidden_states.dtype
    h = hidden_states.to(dtype)
    variance = h.pow(2).mean(-1, keepdim=True)
    h = h * torch.rsqrt(variance + self.variance_epsilon)
    return self.weight * h.to(input_dtype)


def _eager_attention_forward(module, query, key, value, attention_mask, scaling, dropout=0.0, **kwargs):
    key_states = modeling_llama.repeat_kv(key, module.num_key_value_groups)
    value_states = modeling_llama.repeat_kv(value, module.num_key_value_groups)
    attn_weights = torch.matmul(query, key_states.transpose(2, 3)) * scaling
    if attention_mask is not None:
        attn_weights = attn_weights + attention_mask
    softmax_dtype = torch.float64 if query.dtype == torch.float64 else torch.float32
    attn_weights = nn.functional.softmax(attn_weights, dim=-1, dtype=softmax_dtype).to(query.dtype)
    attn_weights = nn.functional.dropout(attn_weights, p=dropout, training=module.training)
    attn_output = torch.matmul(attn_weights, value_states).transpose(1, 2).contiguous()
    return attn_output, attn_weights


@torch.no_grad()
def _rotary_forward(self, x, position_ids):
    if x.dtype != torch.float64:
        return _original_rotary_forward(self, x, position_ids)
    dim = self.inv_freq.shape[0] * 2
    base = self.config.rope_parameters["rope_theta"]
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    freqs = position_ids[..., None].double() * inv_freq
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos() * self.attention_scaling, emb.sin() * self.attention_scaling


_original_rotary_forward = modeling_llama.LlamaRotaryEmbedding.forward


def patch():
    modeling_llama.LlamaRMSNorm.forward = _rms_norm_forward
    modeling_llama.eager_attention_forward = _eager_attention_forward
    modeling_llama.LlamaRotaryEmbedding.forward = _rotary_forward
