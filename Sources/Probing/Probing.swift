// Probing module.
