/// A change the store refused because it clashes with data already recorded (a unique
/// rule of the schema), not because of the job's state. Nothing changed.
enum StoreConflict: Error, Equatable, CaseIterable, Sendable {
    /// Another job's refund already uses (or used) that invoice: an invoice settles once.
    case refundInvoiceInUse
}
