// ExporterServer module.
