"""Shared helpers for the peer implementations: IDX loading, timing, the one-line JSON result.

Only numpy and the standard library are imported here, so that the JAX script can set its
XLA flags before anything imports jax.
"""

import gzip
import json
import os
import platform
import sys
import time

import numpy as np

# IDX magic numbers: two zero bytes, the type code (0x08 = unsigned byte), the dimension count.
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

# The Swift tool's default model: 784-400-20-400-784.
INPUT_SIZE = 784
HIDDEN_SIZE = 400
LATENT_SIZE = 20


class DataError(Exception):
    """A data file is missing or is not a valid IDX file."""


def find_idx_file(folder, stem):
    """Returns the path of `stem` in `folder`, plain or with `.gz`, preferring the plain file."""
    for name in (stem, stem + ".gz"):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    raise DataError(f"{os.path.join(folder, stem)}[.gz]: not found (expected an MNIST-layout folder "
                    f"with {stem} or {stem}.gz)")


def read_idx(path, expected_magic):
    """Reads an unsigned-byte IDX file (gzip-compressed or plain) into a uint8 array of its shape."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as error:
        raise DataError(f"{path}: cannot be read ({error})") from error
    if len(data) < 4:
        raise DataError(f"{path}: only {len(data)} bytes, too short for an IDX header")
    magic = int.from_bytes(data[:4], "big")
    if magic != expected_magic:
        raise DataError(f"{path}: magic number 0x{magic:08x}, expected 0x{expected_magic:08x} "
                        f"(not an IDX {'image' if expected_magic == IMAGES_MAGIC else 'label'} file)")
    rank = magic & 0xFF
    header = 4 + 4 * rank
    if len(data) < header:
        raise DataError(f"{path}: truncated header ({len(data)} bytes, need {header})")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
    count = int(np.prod(shape))
    if len(data) - header != count:
        raise DataError(f"{path}: header declares shape {shape} ({count} bytes) but "
                        f"{len(data) - header} bytes follow")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def load_images(folder, split):
    """Loads `split` ("train" or "t10k") images as float32 [N, 784] in [0, 1] (pixels / 255)."""
    path = find_idx_file(folder, f"{split}-images-idx3-ubyte")
    images = read_idx(path, IMAGES_MAGIC)
    if images.ndim != 3 or images.shape[1] * images.shape[2] != INPUT_SIZE:
        raise DataError(f"{path}: shape {images.shape}, expected [N, 28, 28]")
    return (images.reshape(images.shape[0], INPUT_SIZE).astype(np.float32) / np.float32(255.0))


def load_labels(folder, split):
    """Loads `split` labels as uint8 [N] (not needed by the unconditional model; kept for checks)."""
    return read_idx(find_idx_file(folder, f"{split}-labels-idx1-ubyte"), LABELS_MAGIC)


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def default_data_folder():
    """The data folder when --data is not given, as `vae` picks it: $VAE_PEERS_DATA, else
    ./data/mnist if it exists, else the repository's bundled mnist-mini subset."""
    if os.environ.get("VAE_PEERS_DATA"):
        return os.environ["VAE_PEERS_DATA"]
    if os.path.isdir(os.path.join("data", "mnist")):
        return os.path.join("data", "mnist")
    return os.path.join(REPO_ROOT, "Sources", "MNISTData", "Resources", "mnist-mini")


class Stopwatch:
    """Accumulates wall-clock seconds (time.perf_counter) over several timed sections, and the CPU
    seconds of all the process's threads in them (time.process_time): cpu_seconds / seconds shows
    how many cores were busy, spinning included."""

    def __init__(self):
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self._start = None

    def start(self):
        self._start = (time.perf_counter(), time.process_time())

    def stop(self):
        wall, cpu = self._start
        self.seconds += time.perf_counter() - wall
        self.cpu_seconds += time.process_time() - cpu
        self._start = None


def cpu_name():
    """The CPU's model name from /proc/cpuinfo (with family/model), else platform.processor()."""
    try:
        fields = {}
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" in line:
                    key, value = (part.strip() for part in line.split(":", 1))
                    fields.setdefault(key, value)
                elif fields:
                    break
        name = fields.get("model name", "")
        if "cpu family" in fields:
            name += f" (family {fields['cpu family']}, model {fields.get('model', '?')})"
        return name or platform.processor()
    except OSError:
        return platform.processor()


def training_argument_parser(description, threads_help):
    """The arguments both training peers take (data, epochs, warm-up, threads, batch, seed), checked by
    `check_training_arguments`; a peer adds its own before parsing."""
    import argparse
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", default=None, help="MNIST-layout folder (default: $VAE_PEERS_DATA, "
                        "else ./data/mnist, else the repository's bundled mnist-mini)")
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs (default 5)")
    parser.add_argument("--warmup-epochs", type=int, default=1, help="untimed epochs first (default 1)")
    parser.add_argument("--threads", type=int, default=2, help=threads_help)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def check_training_arguments(parser, args):
    if args.epochs < 1 or args.warmup_epochs < 0 or args.threads < 1 or args.batch_size < 1:
        parser.error("--epochs, --threads and --batch-size must be >= 1, --warmup-epochs >= 0")
    return args


class TimedTraining:
    """The timed epochs of a training run: the Stopwatch over them, images/s of each epoch, and the last
    epoch's loss."""

    def __init__(self, clock, epoch_rates, final_loss):
        self.clock = clock
        self.epoch_rates = epoch_rates
        self.final_loss = final_loss


def time_training(run_epoch, images_per_epoch, warmup_epochs, epochs):
    """Runs `warmup_epochs` untimed epochs, then `epochs` timed ones, logging each; `run_epoch()` trains
    one epoch and returns its mean loss. Returns a TimedTraining."""
    for epoch in range(warmup_epochs):
        loss = run_epoch()
        log(f"  warm-up epoch {epoch + 1}: loss {loss:.2f}")
    clock = Stopwatch()
    epoch_rates = []
    loss = float("nan")
    for epoch in range(epochs):
        before = clock.seconds
        clock.start()
        loss = run_epoch()
        clock.stop()
        epoch_rates.append(images_per_epoch / (clock.seconds - before))
        log(f"  epoch {epoch + 1}: loss {loss:.2f}  {epoch_rates[-1]:,.0f} img/s")
    return TimedTraining(clock, epoch_rates, loss)


def print_training_result(peer, args, images_per_epoch, timed, versions, **extra):
    """Prints a training peer's result line (see print_result) from its arguments and TimedTraining: images/s
    over the timed epochs, the step time, each epoch's rate and the final loss, plus `extra`."""
    images = images_per_epoch * args.epochs
    steps = args.epochs * -(-images_per_epoch // args.batch_size)
    seconds = timed.clock.seconds
    print_result(peer, "train", args.threads, images / seconds, seconds, versions,
                 epochs=args.epochs, warmup_epochs=args.warmup_epochs, batch_size=args.batch_size, images=images,
                 cpu_seconds=timed.clock.cpu_seconds, step_ms=1e3 * seconds / steps,
                 epoch_images_per_second=[round(r, 1) for r in timed.epoch_rates], final_loss=timed.final_loss, **extra)


def print_result(peer, task, threads, images_per_second, seconds, versions, **extra):
    """Prints the run's result as ONE JSON line on stdout (everything else goes to stderr)."""
    result = {"peer": peer, "task": task, "threads": threads,
              "images_per_second": round(float(images_per_second), 1)}
    for key, value in extra.items():
        if isinstance(value, (float, np.floating)):
            value = round(float(value), 4)
        elif isinstance(value, np.integer):
            value = int(value)
        result[key] = value
    result["seconds"] = round(float(seconds), 4)
    result["cpu"] = cpu_name()
    result["versions"] = {"python": platform.python_version(), "numpy": np.__version__, **versions}
    print(json.dumps(result), flush=True)


def log(message):
    """Progress notes go to stderr so stdout stays one JSON line."""
    print(message, file=sys.stderr, flush=True)
