import ReconcileCore

/// Every kind this build knows. A new provider is a folder and one line here.
public enum Providers {
    public static let registry = ProviderRegistry([
        AnyProvider(FileProvider()),
        AnyProvider(SystemdUnitProvider()),
        AnyProvider(OnionRelayProvider()),
        AnyProvider(LogicalVolumeProvider()),
        AnyProvider(CaptureProxyProvider()),
        AnyProvider(GitLabRunnerProvider()),
        AnyProvider(DirectoryProvider()),
        AnyProvider(PackageProvider()),
        AnyProvider(GroupProvider()),
        AnyProvider(UserProvider()),
        AnyProvider(FilesystemProvider()),
        AnyProvider(MountProvider()),
    ])
}
