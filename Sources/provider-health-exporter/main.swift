print("provider-health-exporter")
