import SeededRandom
import Testing

@Suite("SeededGenerator")
struct RandomTests {
    @Test("the same seed gives the same stream; another seed another")
    func reproducible() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
        let sa = (0..<8).map { _ in a.next() }, sb = (0..<8).map { _ in b.next() }, sc = (0..<8).map { _ in c.next() }
        #expect(sa == sb)
        #expect(sa != sc)
    }

    @Test("state words restore the exact stream")
    func stateRoundTrip() {
        var a = SeededGenerator(seed: 9)
        for _ in 0..<5 { _ = a.next() }
        var b = SeededGenerator(stateWords: a.stateWords)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
    }

    @Test("uniform floats lie in [0, 1) with mean 1/2 and variance 1/12")
    func uniform() {
        var g = SeededGenerator(seed: 1)
        let n = 200_000
        var sum = 0.0, sumSquares = 0.0
        for _ in 0..<n {
            let u = g.nextUniformFloat()
            #expect(u >= 0 && u < 1)
            sum += Double(u); sumSquares += Double(u) * Double(u)
        }
        let mean = sum / Double(n)
        #expect(abs(mean - 0.5) < 0.005)
        #expect(abs(sumSquares / Double(n) - mean * mean - 1.0 / 12) < 0.002)
    }

    @Test("normal draws have mean 0, variance 1 and the right tail mass")
    func normal() {
        var g = SeededGenerator(seed: 2)
        var values = [Float](repeating: 0, count: 200_001)  // odd count: the last pair is cut
        values.withUnsafeMutableBufferPointer { g.fillNormal($0) }
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        let beyondTwo = Double(values.filter { abs($0) > 2 }.count) / Double(values.count)
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.02)
        #expect(abs(beyondTwo - 0.0455) < 0.003)
    }

    @Test("bounded integers are unbiased and in range")
    func bounded() {
        var g = SeededGenerator(seed: 3)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[g.nextInt(below: 7)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 400 })
    }

    @Test("permutations contain every index once and differ between draws")
    func permutation() {
        var g = SeededGenerator(seed: 4)
        let p = g.permutation(count: 1000), q = g.permutation(count: 1000)
        #expect(p.sorted() == Array(0..<1000))
        #expect(p != q)
        #expect(g.permutation(count: 1) == [0])
        #expect(g.permutation(count: 0).isEmpty)
    }
}
