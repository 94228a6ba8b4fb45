"""PyTorch peer for test-set log-likelihood: the importance-weighted estimate (IWAE bound, Burda et al. 2016).

For each test image x, with k samples z_i ~ q(z|x) = N(mu(x), sigma(x)^2):
    log w_i = log p(x|z_i) + log N(z_i; 0, I) - log N(z_i; mu, sigma^2)
    NLL(x)  = -(logsumexp_i log w_i - log k)        (an upper bound on -log p(x), tighter as k grows)
    ELBO(x) = mean_i log w_i                          (the one-sample ELBO estimate, averaged over k)
with the Bernoulli decoder log p(x|z) = -sum over pixels of BCE-with-logits(logits(z), x).

Float32, under torch.inference_mode, batched over the k samples: --batch-images images go through the
decoder together as batch-images * k rows. images_per_second and decoder_gflops time the estimator only
(encoder, sampling, decoder, log-weights, logsumexp), not data or model loading; one chunk runs untimed
first as a warm-up.

Usage: python torch_evaluate.py [--model FILE.safetensors] [--data DIR] [-k 1000] [--limit N]
                                [--threads 2] [--batch-images B] [--binarize] [--seed 0]
Without --model, a randomly initialised model is used (for the speed benchmark; its NLL is meaningless).
"""

import argparse
import json
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

import common
from torch_train import VAE


def load_model(path):
    """Loads a `vae train` checkpoint (the default architecture: one hidden layer, unconditional, BCE)."""
    from safetensors import safe_open
    try:
        with safe_open(path, framework="pt") as f:
            metadata = f.metadata() or {}
            tensors = {name: f.get_tensor(name) for name in f.keys()}
    except Exception as error:  # safetensors raises several types for missing or bad files
        sys.exit(f"torch_evaluate: {path}: cannot be read as safetensors ({error})")
    if "vae_config" in metadata:
        try:
            config = json.loads(metadata["vae_config"])
        except json.JSONDecodeError:
            config = {}
        problems = []
        if config.get("classes", 0):
            problems.append(f"it is conditional ({config['classes']} classes)")
        if config.get("loss", "bce") != "bce":
            problems.append(f"its loss is {config['loss']}, not bce")
        if len(config.get("hidden", [0])) != 1:
            problems.append(f"it has hidden layers {config['hidden']}, not one")
        if str(config.get("activation", "relu")) != "relu":
            problems.append(f"its activation is {config['activation']}, not relu")
        if problems:
            sys.exit(f"torch_evaluate: {path}: only the default model is supported here: " + "; ".join(problems))
    try:
        hidden, input_size = tensors["encoder.0.weight"].shape
        latent = tensors["mu.weight"].shape[0]
    except KeyError as error:
        sys.exit(f"torch_evaluate: {path}: no tensor {error}; expected encoder.0.*, mu.*, logvar.*, "
                 "decoder.0.*, output.* as `vae train` writes them")
    model = VAE(input_size, hidden, latent)
    expected = {name: tuple(p.shape) for name, p in model.state_dict().items()}
    found = {name: tuple(t.shape) for name, t in tensors.items()}
    if expected != found:
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        shapes = [f"{name} {found[name]} (expected {expected[name]})"
                  for name in expected if name in found and found[name] != expected[name]]
        details = "; ".join(part for part in (
            "missing " + ", ".join(missing) if missing else "",
            "unexpected " + ", ".join(extra) if extra else "",
            "wrong shapes " + ", ".join(shapes) if shapes else "") if part)
        sys.exit(f"torch_evaluate: {path}: not the default VAE's tensors: {details}")
    model.load_state_dict({name: t.to(torch.float32) for name, t in tensors.items()})
    return model


def log_weights(model, x, k, generator):
    """log w for `x` [B, D]: returns [B, k]."""
    b, d = x.shape
    mu, logvar = model.encode(x)
    eps = torch.randn(b, k, mu.shape[1], generator=generator)
    z = mu[:, None, :] + eps * torch.exp(0.5 * logvar)[:, None, :]
    logits = model.decode(z.reshape(b * k, -1)).reshape(b, k, d)
    # -BCE-with-logits(l, x) = x*l - softplus(l); the x*l sum is one batched matrix-vector product.
    log_px = torch.bmm(logits, x[:, :, None]).squeeze(2) - F.softplus(logits).sum(2)
    # log N(z; 0, I) - log N(z; mu, sigma^2): the 2*pi terms cancel, and (z - mu)/sigma = eps.
    log_prior_minus_q = -0.5 * (z * z).sum(2) + 0.5 * (eps * eps).sum(2) + 0.5 * logvar.sum(1, keepdim=True)
    return log_px + log_prior_minus_q


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="a model.safetensors written by `vae train` "
                        "(default: a randomly initialised model)")
    parser.add_argument("--data", default=None, help="MNIST-layout folder (default: $VAE_PEERS_DATA, "
                        "else ./data/mnist, else the repository's bundled mnist-mini)")
    parser.add_argument("-k", type=int, default=1000, help="importance samples per image (default 1000)")
    parser.add_argument("--limit", type=int, default=None, help="evaluate the first N test images only")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    parser.add_argument("--batch-images", type=int, default=None,
                        help="images per chunk, so batch-images * k rows go through the decoder at once "
                             "(default: max(1, 8192 // k))")
    parser.add_argument("--binarize", action="store_true",
                        help="binarize the test images once, x = (u < p) with u ~ U(0,1) seeded by --seed")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.k < 1 or args.threads < 1 or (args.limit is not None and args.limit < 1) or \
            (args.batch_images is not None and args.batch_images < 1):
        parser.error("-k, --threads, --limit and --batch-images must be >= 1")
    batch_images = args.batch_images or max(1, 8192 // args.k)

    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    folder = args.data or common.default_data_folder()
    try:
        images = common.load_images(folder, "t10k")
    except common.DataError as error:
        sys.exit(f"torch_evaluate: {error}")
    if args.binarize:  # all images first, so an image's binarization does not depend on --limit
        images = (np.random.default_rng(args.seed).random(images.shape, dtype=np.float32) < images)
        images = images.astype(np.float32)
    if args.limit is not None:
        images = images[:args.limit]
    data = torch.from_numpy(np.ascontiguousarray(images))
    n = data.shape[0]
    batch_images = min(batch_images, n)

    model = load_model(args.model) if args.model else VAE()
    model.eval()
    common.log(f"torch_evaluate: {n} test images from {folder}, k={args.k}, {batch_images} images "
               f"({batch_images * args.k} decoder rows) per chunk, threads={args.threads}, "
               f"model={'random init' if not args.model else args.model}")

    log_k = math.log(args.k)
    nll = torch.empty(n, dtype=torch.float64)
    elbo = torch.empty(n, dtype=torch.float64)
    with torch.inference_mode():
        log_weights(model, data[:batch_images], args.k, torch.Generator().manual_seed(args.seed))  # warm-up
        generator = torch.Generator().manual_seed(args.seed)
        clock = common.Stopwatch()
        clock.start()
        for start in range(0, n, batch_images):
            lw = log_weights(model, data[start:start + batch_images], args.k, generator)
            nll[start:start + lw.shape[0]] = -(torch.logsumexp(lw, dim=1) - log_k)
            elbo[start:start + lw.shape[0]] = lw.mean(dim=1)
        clock.stop()

    # 2 * (20*400 + 400*784) per decoder row for the default model: its multiply-adds dominate.
    decoder_flops = 2 * (model.decoder[0].weight.numel() + model.output.weight.numel()) * args.k * n
    import safetensors
    common.print_result(
        "torch", "evaluate", args.threads, n / clock.seconds, clock.seconds,
        {"torch": torch.__version__, "safetensors": safetensors.__version__},
        k=args.k, images=n, cpu_seconds=clock.cpu_seconds, batch_images=batch_images, nll=nll.mean().item(), elbo=elbo.mean().item(),
        decoder_gflops=decoder_flops / clock.seconds / 1e9, binarized=args.binarize,
        model=args.model or "random-init", seed=args.seed)


if __name__ == "__main__":
    main()
