"""PyTorch peer of `vae train` / `vae bench`: trains the default VAE and prints one JSON line.

Model, loss and optimiser match the Swift tool's defaults: 784-400-20-400-784 with ReLU, logits out,
summed BCE-with-logits + beta * KL (beta = 1), Adam(lr 1e-3, betas (0.9, 0.999), eps 1e-8), batch 128
shuffled each epoch with the last partial batch kept, PyTorch's default Linear initialisation.

images_per_second counts the timed epochs only (after --warmup-epochs), and each epoch's time is the
training steps alone, as the Swift tool times them: batch preparation + forward + backward + Adam.
final_loss is the last timed epoch's mean loss per image (the running average over its batches).

Usage: python torch_train.py [--data DIR] [--epochs 5] [--warmup-epochs 1] [--threads 2] [--seed 0]
                             [--save FILE.safetensors]
"""

import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import common


class VAE(nn.Module):
    """The Swift tool's default model; parameter names match its checkpoints ([out, in] weights)."""

    def __init__(self, input_size=common.INPUT_SIZE, hidden=common.HIDDEN_SIZE, latent=common.LATENT_SIZE):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(input_size, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU())
        self.output = nn.Linear(hidden, input_size)

    def encode(self, x):
        h = self.encoder(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        """Returns logits (the sigmoid is folded into the loss)."""
        return self.output(self.decoder(z))

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + eps * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def vae_loss(logits, x, mu, logvar, beta=1.0):
    """Summed over batch and pixels: BCE-with-logits + beta * KL(q(z|x) || N(0, I))."""
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return reconstruction + beta * kl


def train_epoch(model, optimizer, data, batch_size, generator):
    """One shuffled epoch; returns the mean loss per image."""
    n = data.shape[0]
    permutation = torch.randperm(n, generator=generator)
    total = 0.0
    for start in range(0, n, batch_size):
        x = data.index_select(0, permutation[start:start + batch_size])
        logits, mu, logvar = model(x)
        loss = vae_loss(logits, x, mu, logvar)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / n


def main(argv=None):
    parser = common.training_argument_parser(__doc__.split("\n\n")[0], "torch intra-op threads (default 2)")
    parser.add_argument("--adam", choices=["default", "foreach", "fused"], default="default",
                        help="torch.optim.Adam implementation (default: PyTorch's own choice)")
    parser.add_argument("--save", metavar="FILE", default=None,
                        help="write the trained weights as safetensors, named as `vae train` names them "
                             "(readable by torch_evaluate.py --model)")
    args = common.check_training_arguments(parser, parser.parse_args(argv))

    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    folder = args.data or common.default_data_folder()
    try:
        data = torch.from_numpy(common.load_images(folder, "train"))
    except common.DataError as error:
        sys.exit(f"torch_train: {error}")
    common.log(f"torch_train: {data.shape[0]} training images from {folder}, threads={args.threads}")

    model = VAE()
    adam_options = {"foreach": {"foreach": True}, "fused": {"fused": True}}.get(args.adam, {})
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, **adam_options)
    generator = torch.Generator().manual_seed(args.seed)

    timed = common.time_training(lambda: train_epoch(model, optimizer, data, args.batch_size, generator),
                                 data.shape[0], args.warmup_epochs, args.epochs)
    common.print_training_result("torch", args, data.shape[0], timed, {"torch": torch.__version__}, adam=args.adam)
    if args.save:
        from safetensors.torch import save_file
        save_file({name: t.detach().contiguous() for name, t in model.state_dict().items()}, args.save,
                  metadata={"written_by": "Scripts/peers/torch_train.py"})
        common.log(f"torch_train: saved {args.save}")


if __name__ == "__main__":
    main()
