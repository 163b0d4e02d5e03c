import Testing

@Test func exporterConfigBuilds() {
    #expect(Bool(true))
}
