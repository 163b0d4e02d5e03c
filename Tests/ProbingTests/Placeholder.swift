import Testing

@Test func probingBuilds() {
    #expect(Bool(true))
}
