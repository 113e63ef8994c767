namespace ModelRegistry.Common;

internal sealed class RegistryOptions
{
    public const string Section = "Registry";

    public StorageOptions Storage { get; set; } = new();

    public AuthOptions Auth { get; set; } = new();

    public DownloadsOptions Downloads { get; set; } = new();

    public HttpOptions Http { get; set; } = new();

    public IntegrityOptions Integrity { get; set; } = new();

    public TelemetryOptions Telemetry { get; set; } = new();

    public HealthOptions Health { get; set; } = new();

    internal sealed class StorageOptions
    {
        public string Root { get; set; } = ".data/models";

        /// <summary>Orphaned partial files and unreferenced blobs younger than this are kept.</summary>
        public TimeSpan CleanupAge { get; set; } = TimeSpan.FromHours(24);

        /// <summary>How often the storage cleanup runs by itself; zero turns it off.</summary>
        public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromHours(1);
    }

    internal sealed class IntegrityOptions
    {
        /// <summary>How often every version's file is hashed again; zero turns it off.</summary>
        public TimeSpan Interval { get; set; } = TimeSpan.FromHours(24);
    }

    internal sealed class AuthOptions
    {
        public string? BootstrapAdminKey { get; set; }

        /// <summary>Whether reads need no key (a presented key must still be valid).</summary>
        public bool AnonymousReads { get; set; } = true;
    }

    internal sealed class DownloadsOptions
    {
        public bool AllowFileUrls { get; set; }
    }

    internal sealed class TelemetryOptions
    {
        /// <summary>Where to export metrics and traces over OTLP; OTEL_EXPORTER_OTLP_ENDPOINT does the same. Neither: nothing is exported.</summary>
        public string? OtlpEndpoint { get; set; }
    }

    internal sealed class HealthOptions
    {
        /// <summary>A projection further behind than this many positions makes readiness degraded.</summary>
        public long ProjectionLagDegraded { get; set; } = 10_000;

        /// <summary>A projection that is behind and has recorded no progress for this long makes readiness degraded.</summary>
        public TimeSpan ProjectionStalledAfter { get; set; } = TimeSpan.FromMinutes(5);
    }

    internal sealed class HttpOptions
    {
        public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;
    }
}
