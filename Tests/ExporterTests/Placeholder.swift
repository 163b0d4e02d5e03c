import Testing

@Test func exporterBuilds() {
    #expect(Bool(true))
}
