"""Makes tiny-encoder.onnx, a stand-in for all-minilm-l6-v2.onnx in tests (run with /usr/bin/python3,
torch 1.13): the same inputs (int64 input_ids, attention_mask, token_type_ids, [batch, tokens]) and
output (float32 last_hidden_state [batch, tokens, 8]), from an embedding of the 4000 ids of
tokenizer.json plus a token-type embedding, one linear layer and tanh. Seeded: the file is
reproducible up to the exporter's version."""
import torch

torch.manual_seed(18)


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.words = torch.nn.Embedding(4000, 8)
        self.types = torch.nn.Embedding(2, 8)
        self.mix = torch.nn.Linear(8, 8)

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = self.words(input_ids) + self.types(token_type_ids)
        h = torch.tanh(self.mix(h)) * attention_mask.unsqueeze(-1).float()
        return h


ids = torch.randint(1, 4000, (2, 16))
axes = {0: "batch_size", 1: "sequence_length"}
torch.onnx.export(Encoder().eval(), (ids, torch.ones_like(ids), torch.zeros_like(ids)), "tiny-encoder.onnx",
                  input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                  dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                "last_hidden_state": axes}, opset_version=13)
