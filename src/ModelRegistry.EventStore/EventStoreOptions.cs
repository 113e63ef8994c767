namespace ModelRegistry.EventStore;

/// <summary>Tuning for the store and its projection rebuilds.</summary>
public sealed class EventStoreOptions
{
    /// <summary>How often an instance running rebuilds looks for one to claim (a request made on it wakes it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Events per transaction when replaying into shadow tables.</summary>
    public int RebuildBatchSize { get; set; } = 5000;

    /// <summary>How long a rebuild may go without progress before another instance may claim it again.</summary>
    public TimeSpan RebuildLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Attempts of a rebuild before its projection is marked faulted.</summary>
    public int ProjectionMaxAttempts { get; set; } = 3;

    /// <summary>Whether this instance runs projection rebuilds and Marten's async daemon at all.</summary>
    public bool RunDaemon { get; set; } = true;

    /// <summary>The schema of Marten's event tables.</summary>
    internal string Schema { get; set; } = "public";

    /// <summary>The connection string as configured (data sources hide the password).</summary>
    internal string ConnectionString { get; set; } = "";
}
