import Protocol
import Testing
@testable import timmyd

/// Every move the life cycle allows, written out by hand. Any (event, state) pair
/// not listed must be refused, so a move added by mistake fails a test here.
private let expectedMoves: [JobEvent: [JobState: JobState]] = [
    .paymentConfirmed: [.awaitingPayment: .provisioning, .expired: .provisioning, .cancelled: .provisioning],
    .invoiceExpired: [.awaitingPayment: .expired],
    .cancelledByBuyer: [.awaitingPayment: .cancelled],
    .latePaymentRefundable: [.expired: .failed, .cancelled: .failed],
    .paymentUnverified: [.awaitingPayment: .failed, .expired: .failed, .cancelled: .failed],
    .provisioningSucceeded: [.provisioning: .ready],
    .provisioningFailed: [.provisioning: .failed],
    .retryRequested: [.failed: .provisioning],
    .refundStarted: [.failed: .refunding],
    .refundSettled: [.refunding: .refunded],
    .refundFailed: [.refunding: .failed],
    .destroyRequested: [.ready: .destroyed],
]

/// Events the daemon raises by itself (watcher, provisioner, refund payer); the
/// rest need a person: the buyer or the operator.
private let automaticEvents: Set<JobEvent> = [
    .paymentConfirmed, .latePaymentRefundable, .paymentUnverified, .invoiceExpired, .provisioningSucceeded, .provisioningFailed, .refundSettled, .refundFailed,
]

private struct Pair: Sendable, CustomTestStringConvertible {
    let event: JobEvent
    let state: JobState
    var testDescription: String { "\(event.rawValue) from \(state.rawValue)" }
}

private let allPairs = JobEvent.allCases.flatMap { event in JobState.allCases.map { Pair(event: event, state: $0) } }

@Suite struct JobStateMachineTests {
    @Test func tableNamesEveryEvent() {
        #expect(Set(expectedMoves.keys) == Set(JobEvent.allCases))
    }

    @Test(arguments: allPairs)
    fileprivate func everyEventStatePairMatchesTheExpectedTable(_ pair: Pair) {
        #expect(JobStateMachine.target(of: pair.event, from: pair.state) == expectedMoves[pair.event]?[pair.state])
    }

    @Test func exactlyTheListedMovesExist() {
        let actual = allPairs.filter { JobStateMachine.target(of: $0.event, from: $0.state) != nil }.count
        let expected = expectedMoves.values.map(\.count).reduce(0, +)
        #expect(actual == expected)
        #expect(actual == 17)
    }

    @Test(arguments: JobEvent.allCases)
    func sourcesListsTheStatesAnEventStartsFrom(_ event: JobEvent) {
        let expected = JobState.allCases.filter { expectedMoves[event]?[$0] != nil }
        #expect(JobStateMachine.sources(of: event) == expected)
    }

    @Test func noEventLeavesAStateUnchanged() {
        for pair in allPairs {
            #expect(JobStateMachine.target(of: pair.event, from: pair.state) != pair.state, "\(pair.testDescription)")
        }
    }

    @Test func nothingEverLeadsBackToAwaitingPayment() {
        #expect(!allPairs.contains { JobStateMachine.target(of: $0.event, from: $0.state) == .awaitingPayment })
    }

    @Test func refundedAndDestroyedAreFinal() {
        for event in JobEvent.allCases {
            #expect(JobStateMachine.target(of: event, from: .refunded) == nil)
            #expect(JobStateMachine.target(of: event, from: .destroyed) == nil)
        }
    }

    /// Settled states (where `bootstrap.watch` stops) have no automatic way out,
    /// except a late payment reviving an expired or cancelled job (provisioned, held
    /// for a refund under `LATE_PAYMENT_POLICY=refund`, or failed as unverified), which is documented.
    @Test func settledStatesHaveNoAutomaticExitsButTheDocumentedLatePayment() {
        var automaticExits: [JobState: Set<JobEvent>] = [:]
        for pair in allPairs where pair.state.isSettled && automaticEvents.contains(pair.event) {
            if JobStateMachine.target(of: pair.event, from: pair.state) != nil {
                automaticExits[pair.state, default: []].insert(pair.event)
            }
        }
        let latePayment: Set<JobEvent> = [.paymentConfirmed, .latePaymentRefundable, .paymentUnverified]
        #expect(automaticExits == [.expired: latePayment, .cancelled: latePayment])
    }

    @Test(arguments: JobState.allCases.filter { !$0.isSettled })
    func unsettledStatesHaveAnAutomaticWayOut(_ state: JobState) {
        #expect(automaticEvents.contains { JobStateMachine.target(of: $0, from: state) != nil })
    }

    @Test func everyStateIsReachableFromAwaitingPayment() {
        var reached: Set<JobState> = [.awaitingPayment]
        var frontier: [JobState] = [.awaitingPayment]
        while let state = frontier.popLast() {
            for event in JobEvent.allCases {
                if let next = JobStateMachine.target(of: event, from: state), reached.insert(next).inserted {
                    frontier.append(next)
                }
            }
        }
        #expect(reached == Set(JobState.allCases))
    }
}
