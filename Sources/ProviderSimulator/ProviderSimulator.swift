// ProviderSimulator module.
