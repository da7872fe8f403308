import Foundation
import Glibc
import Testing
@testable import timmyd

@Suite struct MasterKeyFileTests {
    private func mode(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    private func size(_ path: String) -> Int {
        var info = stat()
        return lstat(path, &info) == 0 ? Int(info.st_size) : -1
    }

    /// Runs `body` and returns the KeyError description it throws.
    private func refusal(_ body: () throws -> [UInt8]) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func createsA32ByteFileWithMode0600() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("master.key")
        let key = try MasterKeyFile.loadOrCreate(at: path)
        #expect(key.count == 32)
        #expect(mode(path) == 0o600)
        #expect(size(path) == 32)
        #expect(key != [UInt8](repeating: 0, count: 32))
    }

    @Test func reloadingReturnsTheSameBytes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("master.key")
        let first = try MasterKeyFile.loadOrCreate(at: path)
        let second = try MasterKeyFile.loadOrCreate(at: path)
        #expect(first == second)
    }

    @Test func loadsAnExistingKeyFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("master.key")
        let bytes = (0..<32).map { UInt8($0) }
        try writeFile(path, bytes, mode: 0o600)
        #expect(try MasterKeyFile.loadOrCreate(at: path) == bytes)
        // Owner-read-only is fine too.
        try writeFile(path, bytes, mode: 0o400)
        #expect(try MasterKeyFile.loadOrCreate(at: path) == bytes)
    }

    @Test func leavesNoTemporaryFilesBehind() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try MasterKeyFile.loadOrCreate(at: dir.file("master.key"))
        let entries = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(entries == ["master.key"])
    }

    @Test func concurrentCreatorsAllGetTheSameKey() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("master.key")
        let keys = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<8 { group.addTask { try MasterKeyFile.loadOrCreate(at: path) } }
            return try await group.reduce(into: [[UInt8]]()) { $0.append($1) }
        }
        #expect(keys.count == 8)
        #expect(Set(keys).count == 1)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o606] as [mode_t])
    func fileAccessibleByGroupOrOthersIsRefused(_ fileMode: mode_t) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("master.key")
        try writeFile(path, [UInt8](repeating: 7, count: 32), mode: fileMode)
        let message = try #require(refusal { try MasterKeyFile.loadOrCreate(at: path) })
        #expect(message.contains(path))
        #expect(message.contains("0" + String(fileMode, radix: 8)))
        #expect(message.contains("group or others"))
    }

    @Test(arguments: [0, 31, 33])
    func fileOfWrongSizeIsRefused(_ length: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("master.key")
        try writeFile(path, [UInt8](repeating: 7, count: length), mode: 0o600)
        let message = try #require(refusal { try MasterKeyFile.loadOrCreate(at: path) })
        #expect(message.contains(path))
        #expect(message.contains("\(length) bytes"))
        #expect(message.contains("exactly 32 bytes"))
        #expect(size(path) == length)  // left alone, not overwritten
    }

    @Test func directoryIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("master.key")
        try #require(mkdir(path, 0o700) == 0)
        let message = try #require(refusal { try MasterKeyFile.loadOrCreate(at: path) })
        #expect(message.contains(path))
        #expect(message.contains("directory"))
    }

    @Test func symbolicLinkIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let target = dir.file("real.key")
        try writeFile(target, [UInt8](repeating: 7, count: 32), mode: 0o600)
        let path = dir.file("master.key")
        try #require(symlink(target, path) == 0)
        let message = try #require(refusal { try MasterKeyFile.loadOrCreate(at: path) })
        #expect(message.contains(path))
        #expect(message.contains("symbolic link"))
    }

    @Test func fifoIsRefusedWithoutBlocking() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("master.key")
        try #require(mkfifo(path, 0o600) == 0)
        let message = try #require(refusal { try MasterKeyFile.loadOrCreate(at: path) })
        #expect(message.contains(path))
        #expect(message.contains("FIFO"))
    }

    @Test func missingDirectoryIsReportedWithPath() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("no-such-dir/master.key")
        let message = try #require(refusal { try MasterKeyFile.loadOrCreate(at: path) })
        #expect(message.contains(path))
    }

    @Test func refusalMessageContainsNoKeyMaterial() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("master.key")
        let bytes = CryptoRandom.bytes(32)
        try writeFile(path, bytes, mode: 0o644)
        let message = try #require(refusal { try MasterKeyFile.loadOrCreate(at: path) })
        #expect(!message.contains(bytes.hexString))
        #expect(!message.contains(Base64.encode(bytes)))
    }
}
