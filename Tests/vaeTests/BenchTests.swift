import Foundation
import Testing

/// `vae bench` with a stand-in for `Scripts/peers/run.sh`: a script that answers every call with a
/// different rate, so the checks below see which peer run each ratio was computed from.
@Suite("bench")
struct BenchTests {
    /// Prints a peer's result line; the rate grows with each call (counted in a file beside it) and is
    /// 1,000 × threads above that, so no two runs give the same figure.
    static let fakeRunner = """
        #!/bin/bash
        script="$1"; shift
        threads=1
        while [[ $# -gt 0 ]]; do [[ "$1" == --threads ]] && threads="$2"; shift; done
        here="$(dirname "$0")"
        calls=$(( $(cat "$here/calls" 2>/dev/null || echo 0) + 1 ))
        echo "$calls" >"$here/calls"
        echo "{\\"peer\\": \\"${script%_train.py}\\", \\"images_per_second\\": $(( 1000 * threads + 37 * calls )), \\"final_loss\\": 100.0}"
        """

    @Test("each round measures sgemm in a window of its own, then vae (against sgemm sampled between its epochs) and the peers back to back (vae first in odd rounds); a ratio is the median of the rounds' ratios")
    func pairedRounds() throws {
        try withSandbox { sandbox in
            try sandbox.write(Data(Self.fakeRunner.utf8), to: "peers/run.sh")
            try writeIDXFolder(sandbox, "data", height: 28, width: 28, train: 256, test: 10)
            let result = try sandbox.vaeSucceeds(
                "bench", "--data", "data", "--rounds", "3", "--epochs", "1", "--warmup-epochs", "0", "--threads", "1", "2",
                "--skip-evaluation", "--skip-commands", "--sgemm-sample-milliseconds", "1",
                "--peers", sandbox.url("peers/run.sh").path, "--json", "result.json", timeout: 300)
            let report = try JSONSerialization.jsonObject(with: sandbox.data("result.json")) as? [String: Any]
            #expect(report?["schema"] as? String == "vae-bench/7")
            let setting = try #require((report?["settings"] as? [[String: Any]])?.first)
            let training = try #require(setting["training"] as? [[String: Any]])
            let peerRuns = try #require(setting["peerRuns"] as? [[String: Any]])
            let sgemmRounds = try #require(setting["sgemmRounds"] as? [[String: Any]])
            let ratios = try #require(setting["ratios"] as? [[String: Any]])
            #expect(training.count == 12, "3 rounds × 2 thread counts × 2 paths")
            #expect(peerRuns.count == 9, "3 rounds × (JAX 1, JAX 2, PyTorch 2)")
            #expect(sgemmRounds.count == 6, "3 rounds × 2 thread counts")

            // Every training run is compared with sgemm sampled between its own epochs (one pass before the
            // timed epoch, one after), and beside it with the rate its round measured in a window of its own.
            for run in training {
                let round = try #require(number(run, "round")), threads = try #require(number(run, "threads"))
                let reference = sgemmRounds.first { number($0, "round") == round && number($0, "threads") == threads }
                let window = try #require(reference.flatMap { number($0, "gflops") })
                #expect(number(run, "separateWindowSGEMMGFLOPS") == window, "round \(round), \(threads) threads")
                #expect(number(run, "sgemmPasses") == 2)
                let achieved = try #require(number(run, "achievedGFLOPS"))
                let between = try #require(number(run, "sgemmGFLOPS"))
                #expect(between > 0 && between != window, "round \(round), \(threads) threads: its own rate, not the window's")
                let share = try #require(number(run, "sgemmPercent"))
                #expect(abs(share - 100 * achieved / between) <= 1e-9 * share)
                let windowShare = try #require(number(run, "separateWindowSGEMMPercent"))
                #expect(abs(windowShare - 100 * achieved / window) <= 1e-9 * windowShare)
            }
            // No two runs share a between-epochs rate: each samples its own.
            let betweenRates = training.compactMap { number($0, "sgemmGFLOPS") }
            #expect(Set(betweenRates).count == training.count)

            // Each ratio: vae's zero-skipping run over the peer's in the same round, median over the rounds.
            #expect(ratios.map { $0["label"] as? String } == ["vae/JAX 1 core", "vae/JAX 2 cores", "vae/PyTorch 2 cores"])
            for ratio in ratios {
                let peer = try #require(ratio["peer"] as? String), threads = try #require(number(ratio, "threads"))
                var expected: [Double] = []
                for round in 1...3 {
                    let ours = training.first {
                        number($0, "round") == Double(round) && number($0, "threads") == threads && $0["skipsZeroInputs"] as? Bool == true
                    }
                    let theirs = peerRuns.first {
                        number($0, "round") == Double(round) && number($0, "threads") == threads && $0["peer"] as? String == peer
                    }
                    let a = try #require(ours.flatMap { number($0, "imagesPerSecond") })
                    let b = try #require(theirs.flatMap { number($0, "imagesPerSecond") })
                    expected.append(a / b)
                }
                let rounds = try #require(ratio["roundRatios"] as? [NSNumber]).map(\.doubleValue)
                #expect(rounds.count == 3)
                for (got, want) in zip(rounds, expected) { #expect(abs(got - want) <= 1e-9 * want) }
                let median = expected.sorted()[1]
                #expect(abs(try #require(number(ratio, "ratio")) - median) <= 1e-9 * median, "the median of \(expected)")
            }

            // The order in which the runs were printed: vae first on each thread count in rounds 1 and 3,
            // after the peers in round 2; sgemm before both.
            let lines = result.stdout.split(separator: "\n").map(String.init)
            func position(_ round: Int, _ text: String) throws -> Int {
                try #require(lines.firstIndex { $0.hasPrefix("  round \(round): \(text)") }, "no line 'round \(round): \(text)'\n\(result.stdout)")
            }
            for round in 1...3 {
                let sgemm = try position(round, "sgemm on 1 thread"), vae = try position(round, "threads=1 "),
                    jax = try position(round, "JAX 1 core")
                #expect(sgemm < min(vae, jax))
                #expect((vae < jax) == (round % 2 == 1), "round \(round): vae at line \(vae), JAX at \(jax)")
                let torch = try position(round, "PyTorch 2 cores"), jax2 = try position(round, "JAX 2 cores")
                #expect((jax2 < torch) == (round % 2 == 1), "round \(round): the peers in reverse order in even rounds")
            }
            let summary = try #require(lines.first { $0.hasPrefix("summary rounds: ") })
            #expect(summary.contains("vae/JAX 1 core ") && summary.contains("sgemm% 2t "), "\(summary)")
        }
    }

    @Test("vae train's peak memory is its own: measured before the benchmark grows, above the benchmark's size then and below its peak")
    func childMemoryIsTheChilds() throws {
        try withSandbox { sandbox in
            try writeIDXFolder(sandbox, "data", height: 28, width: 28, train: 256, test: 10)
            // Two threads' sgemm operands make the benchmark itself larger than vae train on 256 images.
            _ = try sandbox.vaeSucceeds(
                "bench", "--data", "data", "--rounds", "1", "--epochs", "1", "--warmup-epochs", "0", "--threads", "1", "2",
                "--skip-evaluation", "--sgemm-sample-milliseconds", "1", "--sample-runs", "1", "--json", "result.json", timeout: 300)
            let report = try JSONSerialization.jsonObject(with: sandbox.data("result.json")) as? [String: Any]
            let setting = try #require((report?["settings"] as? [[String: Any]])?.first)
            let train = try #require(setting["train"] as? [String: Any])
            #expect(train["status"] as? String == "measured")
            let child = try #require(number(train, "peakRSSMegabytes"))
            let floor = try #require(number(train, "spawningProcessPeakRSSMegabytes"))
            let benchPeak = try #require(number(setting, "benchPeakRSSMegabytes"))
            #expect(floor < child, "the child's figure (\(child) MB) is at least the benchmark's size when it started it (\(floor) MB)")
            // Started after the benchmark had grown, the child would show the benchmark's own peak.
            #expect(child < benchPeak - 10, "vae train \(child) MB against the benchmark's peak \(benchPeak) MB")
        }
    }
}
