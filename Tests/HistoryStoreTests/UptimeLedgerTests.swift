import Testing

@testable import HistoryStore

@Suite struct UptimeLedgerTests {
    let hour = 3600.0
    /// The start of an hour, so that the window edges below are exact.
    let now = 1_699_999_200.0

    @Test func theDayIsTheCurrentHourAndTheTwentyFourBefore() {
        var ledger = UptimeLedger()
        ledger.add([
            row(now - 25 * hour, available: false),  // outside the day, inside the week
            row(now - 24 * hour),  // first hour of the day
            row(now + 0.5 * hour),  // the current hour
            row(now + 2 * hour, available: false),  // after `now`: not counted
        ])
        let uptime = ledger.uptimes(at: now + 0.5 * hour)["openai"]
        #expect(uptime == Uptime(day: 1, week: 2.0 / 3.0))
    }

    @Test func theWeekIsSevenDaysOfHoursBeforeTheCurrentOne() {
        var ledger = UptimeLedger()
        ledger.add([row(now - 7 * 24 * hour), row(now - 7 * 24 * hour - 1, available: false)])
        #expect(ledger.uptimes(at: now)["openai"] == Uptime(day: nil, week: 1))
    }

    @Test func providersAreCountedApartAndPruningForgetsWholeHours() {
        var ledger = UptimeLedger()
        ledger.add([row(now - 3 * hour, "groq", available: false), row(now - 3 * hour + 10, "openai")])
        ledger.add(provider: "groq", hour: UptimeLedger.hour(of: now), tally: UptimeTally(rows: 3, available: 3))
        #expect(ledger.uptimes(at: now) == ["groq": Uptime(day: 0.75, week: 0.75), "openai": Uptime(day: 1, week: 1)])
        ledger.prune(before: now - 2 * hour)
        #expect(ledger.uptimes(at: now) == ["groq": Uptime(day: 1, week: 1)])
    }

    @Test func unusableTimesAreNotCounted() {
        var ledger = UptimeLedger()
        ledger.add([row(.nan), row(.infinity), row(-.infinity), row(1e300)])
        #expect(ledger.uptimes(at: now).isEmpty)
    }
}
