import ArgumentParser
import Logging
import NIOPosix
import Protocol

#if canImport(Glibc)
import Glibc
#endif

@main
struct TimmyDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timmyd",
        abstract: "Sells Bitcoin + Lightning nodes for a Lightning payment, over JSON-RPC on a Unix socket.",
        version: TimmyVersion.string)

    @Option(help: "Unix socket to listen on (default: $TIMMY_SOCKET or \(RPCClient.defaultSocketPath)).")
    var socket: String?

    @Option(help: "Folder for the database and the master key (default: $TIMMY_STATE_DIR or /var/lib/timmyd).")
    var stateDir: String?

    @Option(help: "A file of KEY=VALUE lines; the process environment wins over it.")
    var envFile: String?

    @Flag(help: "Refuse to start unless both payments and provisioning are real.")
    var requireReal = false

    func run() async throws {
        // First, before any secret is in memory.
        if let failure = CoreDumps.disable() {
            FileOutput.standardError("timmyd: cannot turn core dumps off: \(failure)\n")
            throw ExitCode(71)  // EX_OSERR
        }
        let configuration: DaemonConfiguration
        do {
            let loader = try ConfigurationLoader(environment: ProcessEnvironment.current(), envFile: envFile)
            configuration = try loader.load(socketPath: socket, stateDirectory: stateDir, requireReal: requireReal)
        } catch let error as ConfigurationError {
            FileOutput.standardError("timmyd: \(error)\n")
            throw ExitCode(78)  // EX_CONFIG
        }
        let logLevel = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "timmyd")
        ShutdownSignal.install()
        do {
            let systemd = try SystemdEnvironment.takeFromProcess()
            let daemon = try await Daemon.start(configuration: configuration, logger: logger, systemd: systemd)
            // The signal (even one that came during start) asks for the graceful stop;
            // a failing service ends the group on its own, and then this task is moot.
            let signalWatch = Task {
                await ShutdownSignal.wait()
                logger.info("shutting down")
                await daemon.stop()
            }
            do {
                try await daemon.waitUntilStopped()
            } catch {
                signalWatch.cancel()
                logger.critical("stopped because a service failed: \(error)")
                throw ExitCode(70)  // EX_SOFTWARE
            }
            _ = await signalWatch.result
        } catch let error as ConfigurationError {
            logger.critical("cannot start: \(error)")
            throw ExitCode(78)
        } catch let error as StateFolderInUse {
            logger.critical("cannot start: \(error)")
            throw ExitCode(StateFolderInUse.exitCode)
        }
    }
}
