import Testing

@Test func expositionBuilds() {
    #expect(Bool(true))
}
