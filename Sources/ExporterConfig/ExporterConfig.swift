// ExporterConfig module.
