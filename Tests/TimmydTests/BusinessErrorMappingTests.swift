import NIOHTTP1
import Protocol
import Testing

@testable import timmyd

/// Every business error, as callers see it: JSON-RPC code, `data.reason`, HTTP status and
/// message, the same as when business code threw wire errors itself.
@Suite struct BusinessErrorMappingTests {
    struct Expected {
        var code: Int
        var reason: String
        var status: HTTPResponseStatus
        var message: String
    }

    /// The switch is exhaustive on purpose: a new refusal does not compile until it is listed here.
    static func expected(_ refusal: RefundRefusal) -> Expected {
        switch refusal {
        case .refundsDisabled:
            Expected(code: -32010, reason: "refunds_disabled", status: .serviceUnavailable, message: "Refunds are not available: off.")
        case .jobNotFound: Expected(code: -32002, reason: "not_found", status: .notFound, message: "No job with that id.")
        case .wrongState(.ready):
            Expected(code: -32004, reason: "wrong_state", status: .conflict, message: "The node was built; there is nothing to refund.")
        case .wrongState(.refunding):
            Expected(code: -32004, reason: "wrong_state", status: .conflict, message: "A refund for this job is already being paid.")
        case .wrongState(.refunded):
            Expected(code: -32004, reason: "wrong_state", status: .conflict, message: "This job was already refunded.")
        case .wrongState(let state):
            Expected(
                code: -32004, reason: "wrong_state", status: .conflict,
                message: "Only a paid job that failed can be refunded; this one is \(state.rawValue).")
        case .paymentUnverified:
            Expected(
                code: -32004, reason: "wrong_state", status: .conflict,
                message: "The payment for this job could not be verified; the operator checks it and refunds it.")
        case .invoiceUnreadable:
            Expected(code: -32602, reason: "invalid_params", status: .badRequest, message: "Invalid params: bolt11 is garbled")
        case .invoiceWithoutAmount:
            Expected(
                code: -32602, reason: "invalid_params", status: .badRequest,
                message: "Invalid params: The invoice must be for a fixed amount above zero.")
        case .invoiceAboveWhatWasPaid:
            Expected(
                code: -32602, reason: "invalid_params", status: .badRequest,
                message: "Invalid params: The invoice asks for 60000 sats; at most 50000 sats (what was paid) can be refunded.")
        case .ownInvoice:
            Expected(
                code: -32602, reason: "invalid_params", status: .badRequest,
                message: "Invalid params: That is an invoice of this service, not one of yours.")
        case .invoiceExpiring:
            Expected(
                code: -32602, reason: "invalid_params", status: .badRequest,
                message: "Invalid params: The invoice has expired (or expires within a minute); make a new one.")
        case .invoiceAlreadyUsed:
            Expected(
                code: -32020, reason: "invoice_already_used", status: .conflict,
                message: "That invoice is already used for another refund; an invoice can be paid only once. Make a new one.")
        case .paymentServiceUnavailable:
            Expected(
                code: -32007, reason: "upstream_unavailable", status: .serviceUnavailable,
                message: "The payment service is unavailable; try again shortly.")
        case .paymentFailed:
            Expected(
                code: -32011, reason: "refund_failed", status: .badGateway,
                message: "The refund payment did not go through; the job can be refunded again with a new invoice.")
        }
    }

    static let refusals: [RefundRefusal] =
        [
            .refundsDisabled(reason: "off"), .jobNotFound, .paymentUnverified(.failed), .invoiceUnreadable("garbled"),
            .invoiceWithoutAmount, .invoiceAboveWhatWasPaid(askedSats: 60_000, paidSats: 50_000), .ownInvoice,
            .invoiceExpiring, .invoiceAlreadyUsed, .paymentServiceUnavailable, .paymentFailed(.failed),
        ] + JobState.allCases.map { .wrongState($0) }

    @Test(arguments: refusals)
    func refundRefusalsKeepTheirCodeReasonStatusAndMessage(_ refusal: RefundRefusal) {
        let error = BusinessErrorMapping.jsonRPCError(for: refusal as any BusinessError)
        let expected = Self.expected(refusal)
        #expect(error.code == expected.code)
        #expect(error.reason == expected.reason)
        #expect(error.message == expected.message)
        #expect(HTTPErrorMapping.status(for: error) == expected.status)
    }

    @Test func refusalsNamingAStateOrAFieldCarryIt() {
        let wrong = BusinessErrorMapping.jsonRPCError(for: .wrongState(.ready))
        #expect(wrong.data?["state"] == .string("ready"))
        let unverified = BusinessErrorMapping.jsonRPCError(for: .paymentUnverified(.failed))
        #expect(unverified.data?["errorReason"] == .string("payment_unverified"))
        #expect(unverified.data?["state"] == .string("failed"))
        #expect(BusinessErrorMapping.jsonRPCError(for: .ownInvoice).data?["field"] == .string("bolt11"))
        #expect(BusinessErrorMapping.jsonRPCError(for: .paymentFailed(.failed)).data?["state"] == .string("failed"))
    }

    @Test func aStoreConflictOverARefundInvoiceReadsAsInvoiceAlreadyUsed() {
        for conflict in StoreConflict.allCases {
            let error = BusinessErrorMapping.jsonRPCError(for: conflict as any BusinessError)
            #expect(error == BusinessErrorMapping.jsonRPCError(for: .invoiceAlreadyUsed))
            #expect(HTTPErrorMapping.status(for: error) == .conflict)
        }
    }

    @Test func jobRuleViolationsAreInvalidParamsOnTheLabel() {
        let long = BusinessErrorMapping.jsonRPCError(for: JobRuleViolation.labelTooLong(maximumCharacters: 200) as any BusinessError)
        #expect(long.code == -32602 && long.reason == "invalid_params" && long.data?["field"] == .string("label"))
        #expect(long.message == "Invalid params: label must be at most 200 characters")
        #expect(HTTPErrorMapping.status(for: long) == .badRequest)
        let hidden = BusinessErrorMapping.jsonRPCError(for: JobRuleViolation.labelNotPlainText("\u{202E}") as any BusinessError)
        #expect(
            hidden.message
                == "Invalid params: label must be plain text: U+202E (a control or invisible formatting character) is not allowed")
        #expect(HTTPErrorMapping.status(for: hidden) == .badRequest)
    }

    @Test func anUnpaidLimitIsTooManyUnpaidWithItsLimit() {
        let error = BusinessErrorMapping.jsonRPCError(for: UnpaidLimitReached(limit: 3) as any BusinessError)
        #expect(error.code == ApplicationErrorReason.tooManyUnpaid.code && error.reason == "too_many_unpaid")
        #expect(error.message == "There are already 3 unpaid purchases from your address; pay or cancel one first.")
        #expect(error.data?["limit"] == .int(3))
        #expect(HTTPErrorMapping.status(for: error) == .tooManyRequests)
    }
}
