import Foundation
import Glibc
import Testing

/// A fresh private temporary directory (mkdtemp), removed by `remove()` or when
/// the last reference goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/timmyd-test-XXXXXX").utf8CString)
        let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: try #require(result))
    }

    deinit { remove() }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String { path + "/" + name }

    /// Same as `file(_:)`, as the database tests spell it.
    func path(_ name: String) -> String { file(name) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program to completion, feeding `stdin` and collecting its output.
func run(_ executable: String, _ arguments: [String], stdin: [UInt8] = []) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let input = Pipe(), output = Pipe(), error = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = error
    try process.run()
    input.fileHandleForWriting.write(Data(stdin))
    try input.fileHandleForWriting.close()
    // ssh-keygen output is small, so reading after exit cannot deadlock on a full pipe.
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        stdout: String(decoding: out, as: UTF8.self),
        stderr: String(decoding: err, as: UTF8.self)
    )
}

let sshKeygen = "/usr/bin/ssh-keygen"

/// Runs ssh-keygen and requires it to succeed.
@discardableResult
func sshKeygenOK(_ arguments: [String], stdin: [UInt8] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let result = try run(sshKeygen, arguments, stdin: stdin)
    try #require(result.status == 0, "ssh-keygen \(arguments) failed: \(result.stderr)", sourceLocation: sourceLocation)
    return result.stdout
}

/// Writes `contents` to `path` with exactly `mode`.
func writeFile(_ path: String, _ contents: [UInt8], mode: mode_t = 0o600) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
    try #require(fd >= 0, "open \(path): errno \(errno)")
    defer { close(fd) }
    if !contents.isEmpty {
        let written = contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        try #require(written == contents.count)
    }
    try #require(fchmod(fd, mode) == 0)
}

func writeFile(_ path: String, _ text: String, mode: mode_t = 0o600) throws {
    try writeFile(path, Array(text.utf8), mode: mode)
}

func readText(_ path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8)
}

/// The first two fields ("type base64") of a public key line.
func keyWithoutComment(_ line: String) -> String {
    line.split(separator: " ", omittingEmptySubsequences: true).prefix(2).joined(separator: " ")
}
