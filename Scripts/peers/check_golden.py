"""Checks both peers against the repository's golden values (Tests/Fixtures/vae_golden.json).

For every unconditional relu/sigmoid/BCE case there (the peers implement only that model), with the
fixture's weights, inputs and eps: the loss, every gradient and the parameters after one Adam step
must match the float64 reference to float32 accuracy, in PyTorch and in JAX. Prints one line per
case and peer, and exits non-zero on a mismatch. Takes a few seconds.

Usage: python check_golden.py
"""

import json
import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import common  # noqa: E402
import jax_train  # noqa: E402
import torch_train  # noqa: E402

FIXTURE = os.path.join(common.REPO_ROOT, "Tests", "Fixtures", "vae_golden.json")
RTOL, ATOL = 1e-4, 1e-5


def array(entry):
    return np.asarray(entry["data"], dtype=np.float64).reshape(entry["shape"])


def compare(label, got, want, failures):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64).reshape(np.shape(got))
    if not np.allclose(got, want, rtol=RTOL, atol=ATOL):
        worst = float(np.max(np.abs(got - want)))
        failures.append(f"{label}: max |difference| {worst:.3g}")


def check_torch(case, params, x, eps):
    failures = []
    model = torch_train.VAE(case["input_dim"], case["hidden"][0], case["latent"])
    model.load_state_dict({name: torch.tensor(value, dtype=torch.float32) for name, value in params.items()})
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    xt = torch.tensor(x, dtype=torch.float32)
    logits, mu, logvar = model(xt, torch.tensor(eps, dtype=torch.float32))
    loss = torch_train.vae_loss(logits, xt, mu, logvar, case["beta"])
    loss.backward()
    expected = case["expected"]
    compare("loss", loss.item(), expected["loss"], failures)
    for name, p in model.named_parameters():
        compare(f"grad {name}", p.grad.numpy(), expected["grads"][name], failures)
    optimizer.step()
    for name, p in model.named_parameters():
        compare(f"adam {name}", p.detach().numpy(), expected["adam_step1"][name], failures)
    return failures


def check_jax(case, params, x, eps):
    import jax
    import jax.numpy as jnp
    failures = []
    p = {name: jnp.asarray(value, dtype=jnp.float32) for name, value in params.items()}
    loss, grads = jax.value_and_grad(jax_train.loss_fn)(p, jnp.asarray(x, jnp.float32), jnp.asarray(eps, jnp.float32))
    expected = case["expected"]
    compare("loss", float(loss), expected["loss"], failures)
    for name, g in grads.items():
        compare(f"grad {name}", np.asarray(g), expected["grads"][name], failures)
    zeros = {name: jnp.zeros_like(value) for name, value in p.items()}
    updated, _, _ = jax_train.adam_update(p, zeros, zeros, grads, jnp.int32(1))
    for name, value in updated.items():
        compare(f"adam {name}", np.asarray(value), expected["adam_step1"][name], failures)
    return failures


def main():
    with open(FIXTURE) as f:
        cases = json.load(f)["cases"]
    checked, failed = 0, 0
    for case in cases:
        if (case["activation"], case["output"], case["loss"], case["conditional_classes"], len(case["hidden"])) \
                != ("relu", "sigmoid", "bce", 0, 1) or case["beta"] != 1.0:
            continue
        params = {name: array(entry) for name, entry in case["params"].items()}
        x, eps = array(case["x"]), array(case["eps"])
        for peer, check in (("torch", check_torch), ("jax", check_jax)):
            failures = check(case, params, x, eps)
            checked += 1
            failed += bool(failures)
            print(f"{peer:5} {case['name']}: " + ("ok" if not failures else "MISMATCH " + "; ".join(failures)))
    if checked == 0:
        sys.exit("check_golden: no relu/sigmoid/bce case in the fixture")
    print(f"{checked - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
