#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import Protocol

/// `admin.backup`: an online, checked copy of the database, sent back over the caller's
/// own connection. The daemon never writes to a path the caller names: timmyctl creates
/// the file as the admin (so the admin's own permissions, not root's, decide where it may
/// go), and the daemon's sandbox may not even see the admin's folders.
struct BackupService: Sendable {
    let store: JobStore
    let configuration: DaemonConfiguration
    let logger: Logger
    /// One backup at a time: each holds a full copy in the state folder and in memory.
    private let running = NIOLockedValueBox(false)

    /// Raw bytes per `admin.backup.chunk` (64 KiB of base64 on the wire).
    static let chunkBytes = 48 * 1024

    static let masterKeyReminder =
        "The copy does not hold the master key (master.key in the state folder), without which the sealed keys in it cannot be opened. Keep a copy of the master key somewhere else, as a separate secret; never beside the backup."

    init(store: JobStore, configuration: DaemonConfiguration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    func backup(_ params: NoParams, _ caller: Caller) async throws -> MethodReply<BackupSummary> {
        let started = running.withLockedValue { busy in
            defer { busy = true }
            return !busy
        }
        guard started else {
            throw JSONRPCError.application(.overloaded, "A backup is already running; try again when it has finished.")
        }
        defer { running.withLockedValue { $0 = false } }

        let temporary = Self.copyPath(stateDirectory: configuration.stateDirectory)
        Self.removeLeftoverCopy(stateDirectory: configuration.stateDirectory)
        let copy: [UInt8]
        let result: DatabaseBackupResult
        do {
            result = try await store.database.backup(
                to: temporary, pagesPerStep: Int32(clamping: configuration.backupPagesPerStep),
                pause: .milliseconds(configuration.backupStepPauseMilliseconds))
            defer { unlink(temporary) }
            copy = try Self.readAll(temporary)
        } catch {
            logger.error("backup failed", metadata: ["uid": "\(caller.uid)", "error": "\(error)"])
            throw JSONRPCError.internalError("The backup failed; nothing was sent. The daemon's log says why.")
        }

        let summary = BackupSummary(
            bytes: Int64(copy.count), jobs: result.jobs, sha256: SHA256Digest.hex(copy), integrityCheck: "ok",
            masterKeyReminder: Self.masterKeyReminder)
        logger.notice(
            "backup taken", metadata: ["uid": "\(caller.uid)", "bytes": "\(copy.count)", "jobs": "\(result.jobs)"])
        return MethodReply(summary) { sink in
            var offset = 0
            while offset < copy.count {
                let end = min(offset + Self.chunkBytes, copy.count)
                let chunk = BackupChunk(offset: Int64(offset), data: Array(copy[offset..<end]))
                guard await sink.send(method: MethodName.backupChunkNotification, params: chunk.json) else { return }
                offset = end
            }
        }
    }

    /// Where the copy is made and checked before it is sent: inside the state folder (0700).
    static func copyPath(stateDirectory: String) -> String { stateDirectory + "/backup-in-progress.db" }

    /// A crash during a backup leaves its copy behind, holding keys that may since have been
    /// wiped from the live database: removed at start-up and before each backup.
    static func removeLeftoverCopy(stateDirectory: String) {
        unlink(copyPath(stateDirectory: stateDirectory))
        unlink(copyPath(stateDirectory: stateDirectory) + "-journal")
    }

    private static func readAll(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw SQLiteError.misuse("cannot read the backup copy: \(String(cString: strerror(errno)))", sql: nil) }
        defer { close(fd) }
        guard let bytes = readToEnd(fd) else {
            throw SQLiteError.misuse("cannot read the backup copy: \(String(cString: strerror(errno)))", sql: nil)
        }
        return bytes
    }
}
