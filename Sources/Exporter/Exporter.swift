// Exporter module.
