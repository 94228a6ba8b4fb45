import Testing
@testable import VAERun

@Suite("Scoring")
struct ScoringTests {
    @Test("AUC: 1 for a perfect separation, 0 for the reverse, 0.5 for identical scores")
    func areaUnderROC() {
        #expect(Scoring.areaUnderROC(positives: [5, 6, 7], negatives: [1, 2, 3, 4]) == 1)
        #expect(Scoring.areaUnderROC(positives: [1, 2], negatives: [5, 6, 7]) == 0)
        #expect(Scoring.areaUnderROC(positives: [3, 3], negatives: [3, 3, 3]) == 0.5)
        #expect(Scoring.areaUnderROC(positives: [], negatives: [1]).isNaN)
    }

    @Test("AUC equals the share of (positive, negative) pairs ordered correctly, ties counting ½")
    func areaUnderROCByPairs() {
        let positives: [Double] = [0.3, 2.5, 2.5, 4, 7, 1], negatives: [Double] = [2.5, 0.1, 3, 1, 1, 6, 0.2]
        var wins = 0.0
        for p in positives { for n in negatives { wins += p > n ? 1 : (p == n ? 0.5 : 0) } }
        let expected = wins / Double(positives.count * negatives.count)
        #expect(abs(Scoring.areaUnderROC(positives: positives, negatives: negatives) - expected) < 1e-12)
    }
}
