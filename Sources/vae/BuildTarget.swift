// Which CPU the binary's Swift code was generated for, as the build scripts recorded it.

/// The build's code-generation target: `Scripts/build-flags.sh` builds with `-target-cpu native` and the
/// compile condition `VAE_NATIVE_BUILD` by default, and without either when `VAE_PORTABLE=1`
/// (a plain `swift build` is portable too).
enum BuildTarget {
    #if VAE_NATIVE_BUILD
    /// `built for the host CPU: native`: the CPU that built it (AVX2/FMA, AVX-512 where present).
    static let description = "built for the host CPU: native"
    static let isNative = true
    #else
    /// `portable x86-64` (or the architecture's name): generic code that runs on any CPU of the architecture.
    static let description = "portable \(architecture)"
    static let isNative = false
    #endif

    /// The architecture's name as compilers spell it.
    static var architecture: String {
        #if arch(x86_64)
        "x86-64"
        #elseif arch(arm64)
        "arm64"
        #else
        "build"
        #endif
    }

    /// What `vae --version` prints, e.g. `0.1.0 (built for the host CPU: native)`.
    static let versionLine = "\(VAECommand.versionNumber) (\(description))"
}
