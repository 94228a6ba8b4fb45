// MNISTData module.
