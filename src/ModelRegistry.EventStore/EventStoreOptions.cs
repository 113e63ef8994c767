namespace ModelRegistry.EventStore;

/// <summary>Tuning for the store and its daemon.</summary>
public sealed class EventStoreOptions
{
    /// <summary>How long the daemon sleeps when there was nothing to do.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often a follower tries to become the leader.</summary>
    public TimeSpan LeaderRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Events per transaction when catching an async projection up.</summary>
    public int ProjectionBatchSize { get; set; } = 500;

    /// <summary>Events per transaction when replaying into shadow tables.</summary>
    public int RebuildBatchSize { get; set; } = 5000;

    /// <summary>Consecutive failures of a projection before it is marked faulted.</summary>
    public int ProjectionMaxAttempts { get; set; } = 3;

    /// <summary>Whether this instance runs the projection daemon at all.</summary>
    public bool RunDaemon { get; set; } = true;

    /// <summary>The schema of Marten's event tables.</summary>
    internal string Schema { get; set; } = "public";

    /// <summary>The connection string as configured (data sources hide the password).</summary>
    internal string ConnectionString { get; set; } = "";

    /// <summary>Advisory lock key that elects the daemon's leader.</summary>
    public long LeaderLockKey { get; set; } = 0x4D525F4C454144; // "MR_LEAD"
}
