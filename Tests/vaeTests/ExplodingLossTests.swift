import Foundation
import Testing

@Suite("exploding loss")
struct ExplodingLossTests {
    @Test("--lr 0.3 explodes in epoch 1: one line naming the rate and a smaller one, non-zero exit, no run left")
    func newRun() throws {
        try withSandbox { sandbox in
            // Before the guard, this run went on with a KL of 10¹¹ and exited 0.
            let result = try expectFailureWritesNothing(
                sandbox, ["train", "--lr", "0.3", "--limit", "512", "--epochs", "3", "--sample-every", "0"],
                mentioning: ["diverged in epoch 1", "learning rate 0.3", "--lr such as 0.03", "Nothing was saved"])
            #expect(result.status == 1, "\(result)")
            #expect(!result.stdout.contains("epoch 1/3  train"), "no epoch summary for the exploded epoch\n\(result)")
            #expect(!sandbox.exists("runs/run-001"), "a run with no completed epoch leaves no folder")
        }
    }

    @Test("an explosion after a completed epoch keeps that epoch's checkpoint and says how to continue")
    func keepsLastGoodEpoch() throws {
        try withSandbox { sandbox in
            try sandbox.vaeSucceeds("train", "--limit", "512", "--epochs", "1", "--sample-every", "0", "--out", "R")
            let kept = ["R/model.safetensors", "R/trainer-state.safetensors", "R/metrics.jsonl"]
            let before = try kept.map { try sandbox.data($0) }
            let result = try sandbox.vae("train", "--resume", "R", "--lr", "0.3", "--epochs", "3", "--limit", "512")
            expectCleanFailure(result, mentioning: ["diverged in epoch 2", "learning rate 0.3",
                                                    "R keeps epoch 1", "vae train --resume R --lr 0.03"])
            #expect(result.status == 1, "\(result)")
            for (path, data) in zip(kept, before) {
                #expect(try sandbox.data(path) == data, "\(path) must stay as epoch 1 left it\n\(result)")
            }
        }
    }
}
