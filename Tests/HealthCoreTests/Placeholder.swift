import Testing

@Test func healthCoreBuilds() {
    #expect(Bool(true))
}
