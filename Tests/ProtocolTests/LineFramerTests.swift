import Testing
@testable import Protocol

extension LineFramer {
    /// Every complete line now buffered, as text.
    fileprivate mutating func drain() throws(Failure) -> [String] {
        var lines: [String] = []
        while let line = try nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
        return lines
    }

    fileprivate mutating func append(_ text: String) { append(Array(text.utf8)) }
}

@Suite struct LineFramerTests {
    @Test func splitsLinesThatArriveAcrossChunks() throws {
        var framer = LineFramer(maximumLineLength: 100)
        framer.append("ab")
        #expect(try framer.drain() == [])
        framer.append("c\nde")
        #expect(try framer.drain() == ["abc"])
        framer.append("f\n\ng")
        #expect(try framer.drain() == ["def", ""])
        #expect(framer.finish().map { String(decoding: $0, as: UTF8.self) } == "g")
    }

    @Test func manyLinesInOneChunkComeOutInOrder() throws {
        var framer = LineFramer()
        framer.append((1...100).map { "line \($0)\n" }.joined())
        #expect(try framer.drain() == (1...100).map { "line \($0)" })
        #expect(framer.finish() == nil)
    }

    @Test func lineOfExactlyTheLimitPasses() throws {
        var framer = LineFramer(maximumLineLength: 8)
        framer.append("12345678")
        #expect(try framer.nextLine() == nil, "a full-length line still waiting for its newline is fine")
        framer.append("\n")
        #expect(try framer.drain() == ["12345678"])
    }

    @Test func lineOfExactlyTheLimitInOneChunkPasses() throws {
        var framer = LineFramer(maximumLineLength: 8)
        framer.append("12345678\nabc\n")
        #expect(try framer.drain() == ["12345678", "abc"])
    }

    @Test func lineOneOverTheLimitThrows() {
        var framer = LineFramer(maximumLineLength: 8)
        framer.append("123456789\n")
        #expect(throws: LineFramer.Failure.lineTooLong(limit: 8)) { try framer.nextLine() }
    }

    @Test func lineOneOverTheLimitThrowsBeforeItsNewlineArrives() throws {
        var framer = LineFramer(maximumLineLength: 8)
        framer.append("12345678")
        #expect(try framer.nextLine() == nil)
        framer.append("9")
        #expect(throws: LineFramer.Failure.lineTooLong(limit: 8)) { try framer.nextLine() }
    }

    @Test func overlongSecondLineThrowsAfterTheFirstIsDelivered() throws {
        var framer = LineFramer(maximumLineLength: 4)
        framer.append("ok\ntoolong\n")
        #expect(try framer.nextLine() == Array("ok".utf8))
        #expect(throws: LineFramer.Failure.lineTooLong(limit: 4)) { try framer.nextLine() }
    }

    @Test func lineWithoutNewlineIsReturnedByFinish() throws {
        var framer = LineFramer()
        framer.append(#"{"jsonrpc":"2.0"}"#)
        #expect(try framer.nextLine() == nil)
        #expect(framer.finish() == Array(#"{"jsonrpc":"2.0"}"#.utf8))
        #expect(framer.finish() == nil, "finish empties the framer")
    }

    @Test func finishAfterACompleteLineReturnsNil() throws {
        var framer = LineFramer()
        framer.append("done\n")
        #expect(try framer.drain() == ["done"])
        #expect(framer.finish() == nil)
    }

    @Test func carriageReturnBeforeNewlineIsKept() throws {
        var framer = LineFramer()
        framer.append("a\r\nb\r\n")
        #expect(try framer.nextLine() == [UInt8(ascii: "a"), UInt8(ascii: "\r")])
        #expect(try framer.nextLine() == [UInt8(ascii: "b"), UInt8(ascii: "\r")])
    }

    @Test func carriageReturnCountsTowardsTheLimit() throws {
        var framer = LineFramer(maximumLineLength: 2)
        framer.append("ab\r\n")
        #expect(throws: LineFramer.Failure.lineTooLong(limit: 2)) { try framer.nextLine() }
    }

    @Test func manySmallLinesFedBytewiseAllArrive() throws {
        var framer = LineFramer(maximumLineLength: 16)
        var lines: [String] = []
        for byte in (0..<5_000).map({ "l\($0)\n" }).joined().utf8 {
            framer.append(CollectionOfOne(byte))
            lines += try framer.drain()
        }
        #expect(lines == (0..<5_000).map { "l\($0)" })
    }

    /// A slow sender trickling a long line one byte at a time must cost linear time
    /// (well under a second here); rescanning the whole buffer on every byte would
    /// take many minutes, so the loop gives up as soon as it runs past the budget.
    @Test func longLineFedBytewiseStaysLinear() throws {
        let length = 256 * 1024
        let budget = Duration.seconds(10)
        var framer = LineFramer(maximumLineLength: 1 << 20)
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<length {
            framer.append(CollectionOfOne(UInt8(ascii: "x")))
            if try framer.nextLine() != nil {
                Issue.record("a line came out before its newline")
                return
            }
            if index % 4096 == 0, clock.now - start > budget {
                Issue.record("only \(index) of \(length) bytes framed within \(budget): quadratic rescanning?")
                return
            }
        }
        framer.append(CollectionOfOne(UInt8(ascii: "\n")))
        let line = try #require(try framer.nextLine())
        let elapsed = clock.now - start
        #expect(line.count == length)
        #expect(elapsed < budget, "took \(elapsed) for \(length) bytes")
    }
}
