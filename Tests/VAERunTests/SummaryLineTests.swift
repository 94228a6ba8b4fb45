import Testing
@testable import VAERun

@Suite("Epoch summary line")
struct SummaryLineTests {
    static func record(epoch: Int, loss: Double, reconstruction: Double, kl: Double, test: Double?, seconds: Double) -> EpochRecord {
        EpochRecord(epoch: epoch, trainLoss: loss, trainReconstruction: reconstruction, trainKL: kl,
                    testLoss: test, testReconstruction: test.map { $0 - kl }, testKL: test.map { _ in kl },
                    imagesPerSecond: 123_456, seconds: seconds)
    }

    @Test("a typical epoch: training loss with its parts, test loss, seconds")
    func typical() {
        let line = Self.record(epoch: 10, loss: 138.7, reconstruction: 119.87, kl: 18.83, test: 138.63, seconds: 0.24)
            .summaryLine(lastEpoch: 10)
        #expect(line == "epoch 10/10  train 138.70 (recon 119.87 + KL 18.83)  test 138.63  0.2 s")
        let noTest = Self.record(epoch: 1, loss: 2.35, reconstruction: 2.1, kl: 2.5, test: nil, seconds: 12)
        #expect(noTest.summaryLine(lastEpoch: 3) == "epoch 1/3  train 2.35 (recon 2.10 + KL 2.50)  12.0 s")
    }

    @Test("the widest realistic line fits 80 columns", arguments: [
        (999.99, 999.99, 999.99, 999.99, 9_999.9),
        (9_999.9, 9_999.9, 9_999.9, 9_999.9, 9_999.9),
        (99_999, 99_999, 99_999, 99_999, 99_999),
        (543.21, 443.21, 100.0, 543.21, 3_600),
    ] as [(Double, Double, Double, Double, Double)])
    func widest(loss: Double, reconstruction: Double, kl: Double, test: Double, seconds: Double) {
        let line = Self.record(epoch: 1000, loss: loss, reconstruction: reconstruction, kl: kl, test: test, seconds: seconds)
            .summaryLine(lastEpoch: 1000)
        #expect(line.count <= 80, "\(line.count) columns: \(line)")
    }

    @Test("losses keep to 6 characters up to 99,999")
    func lossWidth() {
        #expect(formatLoss(138.704) == "138.70")
        #expect(formatLoss(999.994) == "999.99")
        #expect(formatLoss(999.996) == "1000.0")
        #expect(formatLoss(1234.56) == "1234.6")
        #expect(formatLoss(12_345.6) == "12346")
        #expect(formatLoss(.nan) == "nan")
        for value in stride(from: 0.0, through: 99_999, by: 3.7) { #expect(formatLoss(value).count <= 6) }
    }
}
