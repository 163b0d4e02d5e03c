// Exposition module.
