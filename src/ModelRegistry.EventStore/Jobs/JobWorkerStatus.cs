namespace ModelRegistry.EventStore.Jobs;

/// <summary>Where this instance's job worker stands.</summary>
public enum JobWorkerState
{
    /// <summary>Turned off (<see cref="JobOptions.RunWorker"/> is false) or given no handlers: this instance runs no jobs.</summary>
    Off,

    /// <summary>Registered, but the host has not started it yet.</summary>
    Starting,

    /// <summary>Claiming and running jobs.</summary>
    Running,

    /// <summary>Its loop has ended: the host is stopping.</summary>
    Stopped,

    /// <summary>Its loop ended with an error and claims nothing any more.</summary>
    Failed,
}

/// <summary>The worker's state, how many jobs it runs right now, and the error that ended its loop, if one did.</summary>
/// <param name="State">Where the worker stands.</param>
/// <param name="RunningJobs">Jobs running on this instance.</param>
/// <param name="Error">Why the loop ended, when <paramref name="State"/> is <see cref="JobWorkerState.Failed"/>.</param>
public sealed record JobWorkerStatus(JobWorkerState State, int RunningJobs, string? Error);

/// <summary>Reports on this instance's job worker, for health checks.</summary>
public interface IJobWorkerStatus
{
    /// <summary>The worker as it is now.</summary>
    JobWorkerStatus Current();
}
