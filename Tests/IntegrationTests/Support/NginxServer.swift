import Foundation
import Testing

/// A real nginx (Debian's package) on a free loopback port, running the shipped
/// `contrib/nginx/timmyd.conf` with its paths pointed at a test daemon and folder.
final class NginxServer {
    static let binary = "/usr/sbin/nginx"
    static let template = LNbitsServer.repositoryRoot.appendingPathComponent("contrib/nginx/timmyd.conf").path

    let folder: String
    let port: Int
    let accessLog: String
    private let process = Process()

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts nginx in front of `daemon`, serving `webRoot`. As root, nginx runs its
    /// workers as `nobody`/`nogroup`, as a packaged nginx runs them as `www-data`: the
    /// daemon's socket must then belong to a group the worker is in (the test daemon
    /// uses TIMMY_SOCKET_GROUP=nogroup, mode 0660), never be opened up to everyone.
    init(daemon: DaemonHarness, webRoot: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            let why = "nginx is not installed (contrib/setup-debian.sh installs it)"
            if ProcessInfo.processInfo.environment["CI"] == "true" { throw HarnessError(why) }
            try Test.cancel("skipped: \(why)")
        }
        folder = daemon.folder + "/nginx"
        accessLog = folder + "/access.log"
        port = try LNbitsServer.freePort()
        try FileManager.default.createDirectory(atPath: folder + "/temp", withIntermediateDirectories: true)
        // nginx opens its compiled-in error log under the prefix before `-g` redirects it to stderr.
        try FileManager.default.createDirectory(atPath: folder + "/logs", withIntermediateDirectories: true)

        // Serve a copy, as an installed site serves /usr/local/share/timmyd/web: the
        // workers run as `nobody`, and a checkout may sit in a folder only its owner can
        // enter (a fresh `mktemp -d` is 0700), where they could read nothing.
        let servedRoot = folder + "/web"
        try FileManager.default.copyItem(atPath: webRoot, toPath: servedRoot)
        // Modes set outright, not left to the umask: it is the test process's, and a daemon
        // started in-process by another suite narrows it for a moment while it binds its socket.
        chmod(folder, 0o755)
        chmod(servedRoot, 0o755)
        for entry in FileManager.default.subpaths(atPath: servedRoot) ?? [] {
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: servedRoot + "/" + entry, isDirectory: &isFolder)
            chmod(servedRoot + "/" + entry, isFolder.boolValue ? 0o755 : 0o644)
        }

        var site = try String(contentsOfFile: Self.template, encoding: .utf8)
        for (shipped, local) in [
            ("listen 80;", "listen 127.0.0.1:\(port);"), ("listen [::]:80;", ""),
            ("/run/timmyd/timmyd.sock", daemon.socketPath), ("/usr/local/share/timmyd/web", servedRoot),
            ("/var/log/nginx/timmyd.access.log", accessLog),
        ] {
            guard site.contains(shipped) else { throw HarnessError("contrib/nginx/timmyd.conf no longer has \(shipped)") }
            site = site.replacingOccurrences(of: shipped, with: local)
        }
        try site.write(toFile: folder + "/timmyd.conf", atomically: true, encoding: .utf8)
        let temp = folder + "/temp"
        let user = getuid() == 0 ? "user nobody nogroup;" : ""
        let main = """
            \(user)
            worker_processes 1;
            events { worker_connections 64; }
            http {
                include /etc/nginx/mime.types;
                default_type application/octet-stream;
                client_body_temp_path \(temp)/body;
                proxy_temp_path \(temp)/proxy;
                fastcgi_temp_path \(temp)/fastcgi;
                uwsgi_temp_path \(temp)/uwsgi;
                scgi_temp_path \(temp)/scgi;
                include \(folder)/timmyd.conf;
            }

            """
        try main.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        if getuid() == 0 { chown(temp, 65534, 65534) }

        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The shell appends nginx's output to a log and becomes nginx (same pid), as the daemon harness does.
        process.arguments = ["-c", "exec \(Self.binary) -p \(folder) -c \(folder)/nginx.conf -g 'daemon off; pid \(folder)/nginx.pid; error_log stderr;' >>\(folder)/nginx.log 2>&1"]
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? runProgram("/usr/bin/curl", ["-s", "-o", "/dev/null", baseURL + "/"]))?.status == 0 { return }
            guard process.isRunning else { throw HarnessError("nginx exited: \(log)") }
            usleep(50_000)
        }
        throw HarnessError("nginx did not answer within 10 s: \(log)")
    }

    deinit {
        if process.isRunning {
            // SIGQUIT: nginx's graceful stop; the master takes its workers with it.
            kill(process.processIdentifier, SIGQUIT)
            process.waitUntilExit()
        }
    }

    var log: String { (try? String(contentsOfFile: folder + "/nginx.log", encoding: .utf8)) ?? "" }

    func request(_ method: String, _ path: String, token: String? = nil, body: String? = nil, headers: [String] = [])
        throws -> CurlResponse
    {
        try Curl.request(method, baseURL + path, socket: nil, token: token, body: body, headers: headers, folder: folder)
    }
}
