#if canImport(Glibc)
import Glibc
#endif
import Protocol

/// Writes to the terminal: results to stdout, problems to stderr.
enum Output {
    static func line(_ text: String = "") {
        write(1, text + "\n")
    }

    /// Text exactly as given (no newline added), e.g. a script to save with `>`.
    static func raw(_ text: String) {
        write(1, text)
    }

    static func error(_ text: String) {
        write(2, "timmyctl: " + text + "\n")
    }

    static func json(_ value: JSONValue) {
        line(value.prettyPrinted())
    }

    private static func write(_ descriptor: Int32, _ text: String) {
        // A closed terminal or pipe is nothing to report to.
        _ = writeAll(descriptor, text)
    }

    /// A job's status as a few readable lines.
    static func status(_ status: JobStatus) {
        line("job:      \(status.jobId)")
        line("state:    \(status.state.rawValue)" + (status.phase.map { " (phase \($0))" } ?? ""))
        line("message:  \(status.message)")
        if let invoice = status.invoice, status.state == .awaitingPayment {
            line("amount:   \(invoice.amountSats) sats")
            line("expires:  \(invoice.expiresAt)")
            line("invoice:  \(invoice.paymentRequest)")
        }
        if let node = status.node {
            line("address:  \(node.ipv4)")
            if let hostname = node.tailscaleHostname { line("tailnet:  \(hostname)") }
            if let lnbits = node.lnbitsUrl { line("lnbits:   \(lnbits)") }
            line("ssh key:  \(node.sshKeyFingerprint)" + (status.keyClaimed ? " (claimed)" : ""))
            if let setup = node.setup { line("setup:    \(setupLine(setup))") }
        }
        if let error = status.error { line("error:    \(error)") }
        for step in status.nextSteps ?? [] { line("next:     \(step)") }
    }

    /// "lnd running (step 8 of 10)", "complete", or why nothing is known.
    static func setupLine(_ setup: NodeSetupStatus) -> String {
        guard setup.reported else { return "not reported (this node does not report its install progress)" }
        guard let step = setup.step, let state = setup.state else { return "waiting for the node's first report" }
        if setup.isComplete { return "complete" + (setup.updatedAt.map { " (\($0))" } ?? "") }
        return "\(step.rawValue) \(state.rawValue) (step \(step.number) of \(NodeSetupStep.allCases.count))"
            + (setup.message.map { ": \($0)" } ?? "")
    }
}
