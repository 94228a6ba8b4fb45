"""JAX peer of `vae train` / `vae bench`: trains the default VAE and prints one JSON line.

Same model, loss, initialisation scheme and optimiser as torch_train.py (the Swift tool's defaults).
The WHOLE training step (batch gather, forward, backward via jax.value_and_grad, and Adam written by
hand in jax.numpy with PyTorch's semantics) is one jax.jit function; parameters and Adam state are
donated so XLA can update them in place. Every batch shape (the full batch and the last partial one)
is compiled before anything is timed; --warmup-epochs then run untimed. The timer stops only after
block_until_ready on the epoch's results.

Threads (XLA's CPU backend has no thread-count setting; this script sets the process up before it
imports jax):
  --threads 1  appends `--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1` to
               XLA_FLAGS (the usual recipe; XLA may still start helper threads) and also restricts the
               process to one CPU with os.sched_setaffinity, so that one core does the work.
  --threads T  (T >= 2) XLA's default thread pool; when T is less than the CPUs this process may use,
               the process is first restricted to T of them (os.sched_setaffinity). On a 2-core machine
               --threads 2 is XLA's plain default.
cpu_seconds in the result (process CPU time over the timed epochs) shows how many cores were busy.

Usage: python jax_train.py [--data DIR] [--epochs 5] [--warmup-epochs 1] [--threads 2] [--seed 0]
"""

import os
import sys

import numpy as np

import common


def configure_threads(threads):
    """Sets the XLA environment for `threads` compute threads; must run before jax is imported."""
    notes = []
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1").strip()
        notes.append("xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    available = sorted(os.sched_getaffinity(0))
    if threads < len(available):
        os.sched_setaffinity(0, available[:threads])
        notes.append(f"affinity CPUs {available[:threads]}")
    else:
        notes.append(f"XLA default on {len(available)} CPUs")
    return ", ".join(notes)


def parse_arguments(argv=None):
    parser = common.training_argument_parser(__doc__.split("\n\n")[0], "compute threads, see above (default 2)")
    return common.check_training_arguments(parser, parser.parse_args(argv))


args = parse_arguments() if __name__ == "__main__" else None
threading_note = configure_threads(args.threads) if args else None
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402  (after the XLA environment is set)
import jax.numpy as jnp  # noqa: E402

LEARNING_RATE, BETA1, BETA2, EPSILON = 1e-3, 0.9, 0.999, 1e-8

# (name, in, out) in the Swift tool's parameter order; weights are [out, in] like PyTorch's.
LAYERS = [("encoder.0", common.INPUT_SIZE, common.HIDDEN_SIZE),
          ("mu", common.HIDDEN_SIZE, common.LATENT_SIZE),
          ("logvar", common.HIDDEN_SIZE, common.LATENT_SIZE),
          ("decoder.0", common.LATENT_SIZE, common.HIDDEN_SIZE),
          ("output", common.HIDDEN_SIZE, common.INPUT_SIZE)]


def init_params(key):
    """PyTorch's default nn.Linear initialisation: weight and bias uniform in +-1/sqrt(in)."""
    params = {}
    for name, fan_in, fan_out in LAYERS:
        key, wkey, bkey = jax.random.split(key, 3)
        bound = 1.0 / np.sqrt(fan_in)
        params[name + ".weight"] = jax.random.uniform(wkey, (fan_out, fan_in), jnp.float32, -bound, bound)
        params[name + ".bias"] = jax.random.uniform(bkey, (fan_out,), jnp.float32, -bound, bound)
    return params


def linear(params, name, x):
    return x @ params[name + ".weight"].T + params[name + ".bias"]


def loss_fn(params, x, eps):
    """Summed over batch and pixels: BCE-with-logits + KL (beta = 1)."""
    h = jax.nn.relu(linear(params, "encoder.0", x))
    mu, logvar = linear(params, "mu", h), linear(params, "logvar", h)
    z = mu + eps * jnp.exp(0.5 * logvar)
    logits = linear(params, "output", jax.nn.relu(linear(params, "decoder.0", z)))
    # BCE with logits, the stable form: max(l, 0) - l*x + log(1 + exp(-|l|)).
    reconstruction = jnp.sum(jnp.maximum(logits, 0) - logits * x + jnp.log1p(jnp.exp(-jnp.abs(logits))))
    kl = -0.5 * jnp.sum(1 + logvar - mu * mu - jnp.exp(logvar))
    return reconstruction + kl


def adam_update(params, m, v, grads, step):
    """One torch.optim.Adam step (no weight decay, no amsgrad); `step` counts from 1."""
    t = step.astype(jnp.float32)
    bias_correction1 = 1 - BETA1 ** t
    bias_correction2_sqrt = jnp.sqrt(1 - BETA2 ** t)
    step_size = LEARNING_RATE / bias_correction1
    new_params, new_m, new_v = {}, {}, {}
    for name, g in grads.items():
        new_m[name] = BETA1 * m[name] + (1 - BETA1) * g
        new_v[name] = BETA2 * v[name] + (1 - BETA2) * g * g
        denominator = jnp.sqrt(new_v[name]) / bias_correction2_sqrt + EPSILON
        new_params[name] = params[name] - step_size * new_m[name] / denominator
    return new_params, new_m, new_v


def train_step(state, data, indices, key):
    """One step: gather the batch, draw eps, forward + backward, Adam."""
    params, m, v, step = state
    x = data[indices]
    step = step + 1
    eps = jax.random.normal(jax.random.fold_in(key, step), (x.shape[0], common.LATENT_SIZE), jnp.float32)
    loss, grads = jax.value_and_grad(loss_fn)(params, x, eps)
    params, m, v = adam_update(params, m, v, grads, step)
    return (params, m, v, step), loss


train_step_jit = jax.jit(train_step, donate_argnums=(0,))


def batches(n, batch_size, rng):
    """This epoch's index batches (shuffled, last partial batch kept), already on the device."""
    permutation = rng.permutation(n).astype(np.int32)
    return [jnp.asarray(permutation[s:s + batch_size]) for s in range(0, n, batch_size)]


def train_epoch(state, data, batch_size, rng, key):
    """One epoch; returns the new state and the mean loss per image (waits for the device)."""
    losses = []
    for indices in batches(data.shape[0], batch_size, rng):
        state, loss = train_step_jit(state, data, indices, key)
        losses.append(loss)
    total = jnp.sum(jnp.stack(losses))
    jax.block_until_ready((state, total))
    return state, float(total) / data.shape[0]


def main():
    folder = args.data or common.default_data_folder()
    try:
        images = common.load_images(folder, "train")
    except common.DataError as error:
        sys.exit(f"jax_train: {error}")
    data = jnp.asarray(images)
    n = data.shape[0]
    common.log(f"jax_train: {n} training images from {folder}, threads={args.threads} ({threading_note})")

    key = jax.random.PRNGKey(args.seed)
    init_key, step_key = jax.random.split(key)
    params = init_params(init_key)
    state = (params, {name: jnp.zeros_like(p) for name, p in params.items()},
             {name: jnp.zeros_like(p) for name, p in params.items()}, jnp.int32(0))
    rng = np.random.default_rng(args.seed)

    # Compile every batch shape outside the timing; the outputs are thrown away (donation consumes
    # the inputs, so each call gets a copy of the state).
    clock = common.Stopwatch()
    clock.start()
    for size in sorted({min(args.batch_size, n), n % args.batch_size} - {0}):
        copy = jax.tree_util.tree_map(jnp.copy, state)
        jax.block_until_ready(train_step_jit(copy, data, jnp.arange(size, dtype=jnp.int32), step_key))
    clock.stop()
    compile_seconds = clock.seconds

    def run_epoch():
        nonlocal state
        state, loss = train_epoch(state, data, args.batch_size, rng, step_key)
        return loss

    timed = common.time_training(run_epoch, n, args.warmup_epochs, args.epochs)

    import jaxlib
    common.print_training_result("jax", args, n, timed, {"jax": jax.__version__, "jaxlib": jaxlib.__version__},
                                 compile_seconds=compile_seconds, threading=threading_note)


if __name__ == "__main__":
    main()
