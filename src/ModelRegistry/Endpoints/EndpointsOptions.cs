namespace ModelRegistry.Endpoints;

/// <summary><c>Registry:Endpoints</c>: where serving endpoints may be reached, how often and how long they are checked.</summary>
public sealed class EndpointsOptions
{
    public const string Section = "Registry:Endpoints";

    /// <summary>
    /// Comma-separated hosts (<c>name</c>, <c>*.suffix</c>) and address ranges (CIDR) endpoints may be at; unset means loopback and
    /// the private ranges, where local runners live. Link-local and cloud metadata addresses are refused whatever is listed.
    /// </summary>
    public string? AllowedHosts { get; set; }

    /// <summary>How often each active endpoint is checked (and its models discovered), jittered; zero turns scheduled checks off.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often active endpoints whose checks have stopped (three intervals without one) get them started again.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one check or discovery may take, connection included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The most of a response body read from an endpoint; a longer one makes the check fail.</summary>
    public long MaxResponseBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How many checks of each endpoint are kept in its history.</summary>
    public int HealthHistory { get; set; } = 1_000;

    /// <summary>How soon after one manual check (or discovery) of an endpoint another is accepted (429 before).</summary>
    public TimeSpan ManualCheckInterval { get; set; } = TimeSpan.FromSeconds(5);
}
