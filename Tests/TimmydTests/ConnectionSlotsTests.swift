import Testing
@testable import timmyd

/// The admins' reserve of connection slots, as a plain value.
@Suite struct ConnectionSlotsTests {
    @Test func clientsStopShortOfTheReserveAndAdminsMayUseIt() {
        var slots = ConnectionSlots(total: 5, reservedForAdmins: 2)
        for _ in 0..<3 { #expect(slots.admit(isAdmin: false) == .shared) }
        #expect(slots.admit(isAdmin: false) == nil)
        #expect(slots.admit(isAdmin: true) == .reserved)
        #expect(slots.admit(isAdmin: true) == .reserved)
        #expect(slots.admit(isAdmin: true) == nil)
        #expect(slots.inUse == 5)
        slots.release()
        // A freed slot below the reserve line is still only for admins while others hold the rest.
        #expect(slots.admit(isAdmin: false) == nil)
        #expect(slots.admit(isAdmin: true) == .reserved)
        for _ in 0..<3 { slots.release() }
        #expect(slots.admit(isAdmin: false) == .shared)
    }

    @Test func adminsTakeSharedSlotsFirst() {
        var slots = ConnectionSlots(total: 3, reservedForAdmins: 1)
        #expect(slots.admit(isAdmin: true) == .shared)
        #expect(slots.admit(isAdmin: true) == .shared)
        #expect(slots.admit(isAdmin: true) == .reserved)
        #expect(slots.admit(isAdmin: false) == nil)
    }
}
