# Sourced by quickstart.sh, test.sh and bench.sh: how the scripts build vae.
#
# Default: Swift code generated for this machine's CPU (`-target-cpu native`: AVX2/FMA or AVX-512 where
# the CPU has them), recorded in the binary by the compile condition VAE_NATIVE_BUILD, so that
# `vae --version` and `vae bench` say "built for the host CPU: native". Such a binary may not start on
# an older CPU.
# VAE_PORTABLE=1 in the environment: generic code for the architecture (x86-64: SSE2 only), a binary to
# copy to other machines; `vae --version` then says "portable x86-64".
#
# Sets VAE_BUILD_FLAGS (the `swift build`/`swift test` options) and VAE_BUILD_TARGET (a word for logs),
# and defines vae_release_build [more swift build options...].
if [[ "${VAE_PORTABLE:-0}" == 1 ]]; then
    VAE_BUILD_FLAGS=()
    VAE_BUILD_TARGET="portable"
else
    VAE_BUILD_FLAGS=(-Xswiftc -target-cpu -Xswiftc native -Xswiftc -DVAE_NATIVE_BUILD)
    VAE_BUILD_TARGET="native"
fi

# The release build of the vae product with the flags above (extra arguments go to swift build, e.g.
# --show-bin-path).
vae_release_build() {
    swift build -c release --static-swift-stdlib "${VAE_BUILD_FLAGS[@]}" "$@"
}
