#if canImport(Glibc)
import Glibc
#endif
import Protocol

/// The file a database backup goes into: created by timmyctl as the admin running it
/// (exclusively, mode 0600, never through a symlink) before the daemon is asked, filled
/// from the `admin.backup.chunk` notifications, and removed unless the whole copy
/// arrived with the size and SHA-256 the daemon announced.
final class BackupFile {
    let path: String
    private var descriptor: Int32

    init(creating path: String) throws {
        self.path = path
        descriptor = try createPrivateFile(path, kind: "backup file")
    }

    /// Reads the chunks that follow `summary` on `client` into the file, then checks and syncs it.
    func receive(_ summary: BackupSummary, from client: RPCClient) throws {
        var received: [UInt8] = []
        received.reserveCapacity(Int(clamping: summary.bytes))
        while received.count < summary.bytes {
            guard let params = try client.nextNotification(MethodName.backupChunkNotification) else {
                throw LocalFileError("the daemon closed the connection after \(received.count) of \(summary.bytes) bytes")
            }
            let chunk = try BackupChunk(json: params)
            guard chunk.offset == received.count, received.count + chunk.data.count <= summary.bytes else {
                throw LocalFileError("the daemon sent a chunk out of order (offset \(chunk.offset), expected \(received.count))")
            }
            guard writeAll(descriptor, chunk.data) else {
                throw LocalFileError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            received += chunk.data
        }
        guard BackupChunk.sha256Hex(received) == summary.sha256 else {
            throw LocalFileError("the copy received does not have the SHA-256 the daemon announced")
        }
        guard fsync(descriptor) == 0 else { throw LocalFileError("cannot sync \(path): \(String(cString: strerror(errno)))") }
        close(descriptor)
        descriptor = -1
    }

    /// Removes the file when the copy did not (or not whole) reach it.
    func discard() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(path)
    }
}
