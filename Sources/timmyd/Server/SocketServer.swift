#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Protocol

/// Listens on the Unix socket: sets the file's group and mode, reads each peer's
/// credentials, assigns its role, and hands the connection to an `RPCConnectionHandler`
/// (newline-delimited JSON-RPC) or an `HTTPConnectionHandler` (HTTP/1.1 from a web
/// proxy), told apart by the connection's first byte.
///
/// Under systemd socket activation it serves on the socket the unit made
/// (`handedOverDescriptor`, through `ServerBootstrap.withBoundSocket`) and never
/// touches that file: its mode and group are the unit's, and it outlives the daemon.
/// The per-connection credential checks are the same either way.
final class SocketServer: Sendable {
    private let configuration: DaemonConfiguration
    private let dispatcher: Dispatcher
    private let nodeSetup: NodeSetupReceiver
    private let roles: RoleResolver
    private let group: EventLoopGroup
    private let logger: Logger
    private let slots: NIOLockedValueBox<ConnectionSlots>
    private let addresses: AddressLimiter
    private let listener = NIOLockedValueBox<Channel?>(nil)
    private let metrics: DaemonMetrics
    /// A listening socket from systemd (`LISTEN_FDS`), or nil to bind `configuration.socketPath`.
    private let handedOverDescriptor: Int32?

    init(
        configuration: DaemonConfiguration, dispatcher: Dispatcher, nodeSetup: NodeSetupReceiver,
        group: EventLoopGroup, handedOverDescriptor: Int32? = nil, logger: Logger, metrics: DaemonMetrics
    ) {
        self.metrics = metrics
        self.handedOverDescriptor = handedOverDescriptor
        self.configuration = configuration
        self.dispatcher = dispatcher
        self.nodeSetup = nodeSetup
        self.roles = RoleResolver(adminGroup: configuration.adminGroup)
        self.slots = NIOLockedValueBox(
            ConnectionSlots(
                total: configuration.maximumConnections,
                reservedForAdmins: configuration.callerLimits.adminReservedConnections))
        self.addresses = AddressLimiter(
            connections: configuration.http.maximumConnectionsPerAddress, streams: configuration.http.maximumStreamsPerAddress)
        self.group = group
        self.logger = logger
    }

    func start() async throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] channel in self.initialize(channel) }
        if let handedOverDescriptor {
            try await serve(handedOver: handedOverDescriptor, with: bootstrap)
        } else {
            try await bindAndServe(with: bootstrap)
        }
        if !configuration.http.trustForwardedFor {
            // Behind nginx this means every web buyer shares one allowance: three unpaid jobs block everyone.
            logger.warning(
                "HTTP_TRUST_FORWARDED_FOR is off: every HTTP caller counts as the one address \"unix\" for the per-address limits (unpaid jobs, connections, event streams, create rate); with nginx in front, set HTTP_TRUST_FORWARDED_FOR=true"
            )
        }
    }

    private func serve(handedOver descriptor: Int32, with bootstrap: ServerBootstrap) async throws {
        let path = try HandedOverSocket.check(descriptor)
        let channel: Channel
        do {
            channel = try await bootstrap.withBoundSocket(descriptor).get()
        } catch {
            throw ConfigurationError("cannot serve on the socket systemd passed (\(path)): \(error)")
        }
        listener.withLockedValue { $0 = channel }
        logger.info("listening on the socket systemd passed", metadata: ["socket": "\(path)"])
    }

    private func bindAndServe(with bootstrap: ServerBootstrap) async throws {
        let path = configuration.socketPath
        try Self.removeStaleSocket(at: path)
        // Create the socket file with no access for others until its mode and group are set.
        let previousMask = umask(0o077)
        let channel: Channel
        do {
            channel = try await bootstrap.bind(unixDomainSocketPath: path).get()
            umask(previousMask)
        } catch {
            umask(previousMask)
            throw ConfigurationError("cannot listen on \(path): \(error)")
        }
        listener.withLockedValue { $0 = channel }
        try applyOwnership(path)
        logger.info("listening", metadata: ["socket": "\(path)", "mode": "\(String(configuration.socketMode, radix: 8))"])
    }

    /// Stops accepting; open connections finish their current work. A socket systemd
    /// passed stays (systemd queues new callers on it and starts the daemon again).
    func stop() async {
        guard let channel = listener.withLockedValue({ $0 }) else { return }
        try? await channel.close()
        if handedOverDescriptor == nil {
            unlink(configuration.socketPath)
        }
    }

    /// Reads the peer's credentials first: whether a connection may have a slot depends
    /// on its role, since the last slots are kept for admins.
    private func initialize(_ channel: Channel) -> EventLoopFuture<Void> {
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let credentialsFuture: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        return credentialsFuture.flatMapThrowing { [self] peer in
            let caller = Caller(pid: peer.pid, uid: peer.uid, gid: peer.gid, role: roles.role(of: peer))
            guard let admission = slots.withLockedValue({ $0.admit(isAdmin: caller.role == .admin) }) else {
                let error = JSONRPCError.overloaded
                try channel.pipeline.syncOperations.addHandler(RefuseConnectionHandler(error: error))
                return
            }
            channel.closeFuture.whenComplete { [slots] _ in slots.withLockedValue { $0.release() } }
            let idle = TimeAmount.seconds(configuration.idleTimeoutSeconds)
            try channel.pipeline.syncOperations.addHandlers([
                IdleStateHandler(readTimeout: idle),
                ProtocolSniffer { [self] framing, pipeline in
                    try self.configure(pipeline, for: framing, caller: caller, admission: admission)
                    self.countOpen(channel, speaking: framing)
                },
            ])
        }
    }

    private func configure(
        _ pipeline: ChannelPipeline.SynchronousOperations, for framing: ProtocolSniffer.Framing, caller: Caller,
        admission: ConnectionSlots.Admission
    ) throws {
        switch framing {
        case .jsonRPC:
            try pipeline.addHandlers([
                ByteToMessageHandler(LineFrameDecoder(maximumLineLength: configuration.maximumRequestBytes)),
                RPCConnectionHandler(dispatcher: dispatcher, caller: caller, limits: configuration.callerLimits, logger: logger),
            ])
        case .http:
            // NIO's codec parses the requests (answering malformed ones with 400 and closing);
            // its pipelining helper hands the handler one request at a time.
            try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
            try pipeline.addHandler(
                HTTPConnectionHandler(
                    router: HTTPRouter(dispatcher: dispatcher, nodeSetup: nodeSetup), caller: caller,
                    settings: configuration.http, addresses: addresses, inAdminReserve: admission == .reserved,
                    logger: logger))
        }
    }

    /// The metrics' open connections by protocol, from the first byte until the connection closes.
    private func countOpen(_ channel: Channel, speaking framing: ProtocolSniffer.Framing) {
        let kind: ConnectionProtocol = framing == .http ? .http : .jsonrpc
        metrics.connectionOpened(kind)
        channel.closeFuture.whenComplete { [metrics] _ in metrics.connectionClosed(kind) }
    }

    /// A socket file left by a daemon that died is replaced; one a live daemon is
    /// listening on is not stolen, and a path that is not a socket is not touched.
    static func removeStaleSocket(at path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw ConfigurationError("\(path) exists and is not a socket; refusing to replace it")
        }
        if (try? RPCClient(socketPath: path)) != nil {
            throw ConfigurationError("another timmyd is already listening on \(path)")
        }
        unlink(path)
    }

    private func applyOwnership(_ path: String) throws {
        var groupID = getegid()
        if let name = configuration.socketGroup {
            if let entry = getgrnam(name) {
                groupID = entry.pointee.gr_gid
            } else {
                logger.warning(
                    "socket group does not exist; the socket keeps the daemon's own group",
                    metadata: ["group": "\(name)"])
            }
        }
        guard chown(path, getuid(), groupID) == 0 || groupID == getegid() else {
            throw ConfigurationError("cannot give \(path) to group \(groupID): \(String(cString: strerror(errno)))")
        }
        guard chmod(path, mode_t(configuration.socketMode)) == 0 else {
            throw ConfigurationError("cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
    }
}
