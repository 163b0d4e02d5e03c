import Testing

/// Every test that talks to a simulator over loopback. Serialized: on a small machine, tests that move
/// thousands of models would otherwise steal the CPU from tests that measure deadlines.
@Suite(.serialized) struct NetworkTests {}
