import SeededRandom

/// The named random streams of a run, all derived from its one seed (`--seed`), in one place.
///
/// Each stream is its own `SeededGenerator`, so drawing more from one (a longer epoch, another
/// picture) never shifts another. The derivations are fixed: changing one changes every saved run's
/// continuation and every picture made from a seed.
public struct SeedStreams: Sendable, Equatable {
    /// The run's seed.
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// Parameter initialisation (PyTorch's default scheme, layer by layer): the seed itself.
    public var initialisation: SeededGenerator { SeededGenerator(seed: seed) }

    /// Training: each epoch's batch order, the noise ε and dynamic binarization, in that order per batch.
    /// Checkpointed with the trainer state, so a resumed run continues it.
    public var training: SeededGenerator { SeededGenerator(seed: seed &+ 1) }

    /// The noise of the test-loss evaluation after `epochsCompleted` epochs (a fresh stream per epoch,
    /// so evaluating never disturbs training's stream and a resumed run evaluates identically).
    public func evaluation(afterEpochs epochsCompleted: Int) -> SeededGenerator {
        SeededGenerator(seed: ((seed &+ 1) ^ 0x5EED_E7A1_0000_0000) &+ UInt64(epochsCompleted))
    }

    /// The fixed latent vectors of the per-epoch sample grids (the same z every epoch, so grids compare).
    public var sampleGrid: SeededGenerator { SeededGenerator(seed: seed &+ 2) }

    /// The generated points of the per-epoch Swiss-roll plots.
    public var pointPlot: SeededGenerator { SeededGenerator(seed: seed &+ 3) }

    /// The Swiss roll's training and test points.
    public var swissRollData: SeededGenerator { SeededGenerator(seed: seed &+ 0x5157_1550) }

    /// The one binarization of evaluation images (`vae evaluate --binarize`, `vae score --binarize`):
    /// fixed, whatever the run's seed, so that every evaluation of every model sees the same binary images.
    public static var evaluationBinarization: SeededGenerator { SeededGenerator(seed: 0xB14A_A12E_0F1E_0001) }
}
