// VAEModel module.
