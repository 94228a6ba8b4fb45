// The peers (Scripts/peers/: JAX and PyTorch versions of the same model and step) run as child
// processes next to vae's own runs in each round, and the medians and ratios over the rounds.

import Foundation

/// One peer implementation on one thread count.
struct PeerContender: Sendable {
    /// `jax` or `torch` (the `peer` field of the script's result line).
    var peer: String
    var threads: Int

    /// The script in `Scripts/peers/`.
    var script: String { "\(peer)_train.py" }

    /// How the summary names it, e.g. `JAX 1 core`, `PyTorch 2 cores`.
    var label: String {
        let name = peer == "jax" ? "JAX" : peer == "torch" ? "PyTorch" : peer
        return "\(name) \(threads) core\(threads == 1 ? "" : "s")"
    }

    /// JAX on every thread count of the run, PyTorch on the largest one when it is 2 or more (its
    /// one-thread rate is far behind and would only lengthen the run).
    static func all(threads: [Int]) -> [PeerContender] {
        let counts = Set(threads).sorted()
        var contenders = counts.map { PeerContender(peer: "jax", threads: $0) }
        if let most = counts.last, most >= 2 { contenders.append(PeerContender(peer: "torch", threads: most)) }
        return contenders
    }
}

extension Bench {
    // MARK: peers

    /// Runs one peer through `runner` (`Scripts/peers/run.sh`) on the same data, batch and epochs as
    /// vae's own measurement, and reads the one JSON line it prints.
    func runPeer(_ contender: PeerContender, runner: String, dataFolder: String, round: Int) -> PeerRun {
        runPeerScript(runner: runner, script: contender.script, peer: contender.peer, threads: contender.threads,
                      arguments: ["--data", dataFolder, "--epochs", String(epochs), "--warmup-epochs", String(warmupEpochs)],
                      round: round)
    }

    /// Runs `script` of the peers through `runner` with `arguments` and `--threads`, and reads the one
    /// JSON line it prints (its `images_per_second`).
    func runPeerScript(runner: String, script: String, peer: String, threads: Int, arguments: [String],
                       round: Int) -> PeerRun {
        var run = PeerRun(round: round, peer: peer, threads: threads, status: "failed")
        let arguments = [runner, script] + arguments + ["--threads", String(threads)]
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("vae-bench-peer-\(UUID().uuidString.prefix(8))", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            let result = try runMeasured(executable: "/bin/bash", arguments: arguments, workingDirectory: cwd,
                                         captureFolder: folder)
            guard result.status == 0 else {
                run.note = "exit status \(result.status): \(result.messageTail())"
                return run
            }
            guard let line = result.standardOutput.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
                  let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let rate = (object["images_per_second"] as? NSNumber)?.doubleValue else {
                run.note = "no result line with images_per_second: \(result.messageTail())"
                return run
            }
            run.status = "measured"
            run.imagesPerSecond = rate
            run.finalLoss = (object["final_loss"] as? NSNumber)?.doubleValue
            run.resultLine = String(line)
        } catch {
            run.note = "\(error)"
        }
        return run
    }

    /// The median images/s of vae and of each peer per thread count, over the rounds.
    func contenders(training: [TrainingResult], peerRuns: [PeerRun]) -> [ContenderResult] {
        var results: [ContenderResult] = []
        for (name, skipping) in [("vae", true), ("vae-dense", false)] {
            for t in Set(training.map(\.threads)).sorted() {
                let rates = training.filter { $0.threads == t && $0.skipsZeroInputs == skipping }.map(\.imagesPerSecond)
                guard !rates.isEmpty else { continue }
                results.append(ContenderResult(name: name, threads: t, roundImagesPerSecond: rates,
                                               medianImagesPerSecond: median(rates)))
            }
        }
        for contender in PeerContender.all(threads: threads) {
            let rates = peerRuns.filter { $0.peer == contender.peer && $0.threads == contender.threads }
                .compactMap(\.imagesPerSecond)
            guard !rates.isEmpty else { continue }
            results.append(ContenderResult(name: contender.peer, threads: contender.threads,
                                           roundImagesPerSecond: rates, medianImagesPerSecond: median(rates)))
        }
        return results
    }

    /// Per peer and thread count: the median over the rounds of vae's images/s over the peer's in the
    /// same round (the zero-skipping trainer, as `vae train` runs it), and the ratio of the medians.
    func ratios(training: [TrainingResult], peerRuns: [PeerRun], contenders: [ContenderResult]) -> [PeerRatio] {
        PeerContender.all(threads: threads).compactMap { peer in
            guard let ours = contenders.first(where: { $0.name == "vae" && $0.threads == peer.threads }),
                  let theirs = contenders.first(where: { $0.name == peer.peer && $0.threads == peer.threads }),
                  theirs.medianImagesPerSecond > 0 else { return nil }
            let roundRatios: [Double] = training.compactMap { run in
                guard run.skipsZeroInputs, run.threads == peer.threads,
                      let other = peerRuns.first(where: { $0.round == run.round && $0.peer == peer.peer && $0.threads == peer.threads }),
                      let rate = other.imagesPerSecond, rate > 0 else { return nil }
                return run.imagesPerSecond / rate
            }
            return PeerRatio(label: "vae/\(peer.label)", threads: peer.threads, peer: peer.peer,
                             ratio: median(roundRatios), roundRatios: roundRatios,
                             ratioOfMedians: ours.medianImagesPerSecond / theirs.medianImagesPerSecond)
        }
    }
}
