using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Marten;
using Marten.Services;

namespace ModelRegistry.Common;

/// <summary>How a command over HTTP ended, as the <c>outcome</c> tag of <c>modelregistry.commands</c>.</summary>
internal static class CommandOutcome
{
    public const string Appended = "appended";
    public const string NoOp = "no-op";
    public const string Refused = "refused";
    public const string Conflict = "conflict";
    public const string Replayed = "replayed";
}

/// <summary>
/// The registry's own instruments, on one meter (<see cref="MeterName"/>): commands by route and outcome, events appended by
/// type, the lag of every projection, bytes downloaded and downloads finished. They cost next to nothing while no listener or
/// exporter is attached.
/// </summary>
internal sealed class RegistryMetrics
{
    /// <summary>The one meter the registry's instruments live on; a meter factory hands every caller the same instance.</summary>
    public const string MeterName = "ModelRegistry";

    private readonly Counter<long> _commands;
    private readonly Counter<long> _downloadBytes;
    private readonly Counter<long> _downloadsFinished;

    public RegistryMetrics(IMeterFactory meters, ProjectionStatusCache projections)
    {
        var meter = meters.Create(MeterName);
        _commands = meter.CreateCounter<long>("modelregistry.commands", "{command}",
            "Commands handled over HTTP, by command (method and route) and outcome (appended, no-op, refused, conflict, replayed).");
        _downloadBytes = meter.CreateCounter<long>("modelregistry.download.bytes", "By", "Bytes downloads have written into the storage root.");
        _downloadsFinished = meter.CreateCounter<long>("modelregistry.downloads.finished", "{download}",
            "Downloads that ended, by outcome (succeeded, failed, cancelled).");
        meter.CreateObservableGauge("modelregistry.projection.lag",
            () => projections.Latest().Select(s => new Measurement<long>(s.Lag, new KeyValuePair<string, object?>("projection", s.Name))),
            "{event}", "Positions between the store's gap-safe head and each projection's checkpoint.");
    }

    public void CommandHandled(HttpContext http, string outcome)
    {
        if (_commands.Enabled)
        {
            _commands.Add(1, new KeyValuePair<string, object?>("command", CommandOf(http)), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public void Downloaded(long bytes)
    {
        if (bytes > 0)
        {
            _downloadBytes.Add(bytes);
        }
    }

    public void DownloadFinished(string outcome) => _downloadsFinished.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>The route template, never the path (names would make one series per model); both forms of a model route are one command.</summary>
    internal static string CommandOf(HttpContext http) =>
        http.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } route }
            ? $"{http.Request.Method} {route.Replace("{namespace}/{name}", "{name}", StringComparison.Ordinal)}"
            : http.Request.Method;
}

internal static class RegistryMetricsExtensions
{
    public static IServiceCollection AddRegistryMetrics(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(RegistryMetrics)))
        {
            return services;
        }

        services.AddMetrics();
        services.TryAddSingleton<ProjectionStatusCache>();
        services.AddSingleton<RegistryMetrics>();
        services.ConfigureMarten((sp, options) => options.Listeners.Add(new AppendedEvents(sp.GetRequiredService<IMeterFactory>())));
        return services;
    }
}

/// <summary>
/// <c>modelregistry.events.appended</c>: what every committed save appended, by event type; <c>modelregistry.append.duration</c>:
/// how long a save that appends took to write its batch and commit.
/// </summary>
internal sealed class AppendedEvents : DocumentSessionListenerBase
{
    private readonly Counter<long> _appended;
    private readonly Histogram<double> _duration;
    private readonly ConditionalWeakTable<IDocumentSession, StrongBox<long>> _started = new();

    public AppendedEvents(IMeterFactory meters)
    {
        var meter = meters.Create(RegistryMetrics.MeterName);
        _appended = meter.CreateCounter<long>("modelregistry.events.appended", "{event}", "Events appended to streams, by event type.");
        _duration = meter.CreateHistogram<double>("modelregistry.append.duration", "s", "How long a save that appends took, its batch and commit.");
    }

    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        if (_duration.Enabled && session.PendingChanges.Streams().Any())
        {
            _started.AddOrUpdate(session, new StrongBox<long>(Stopwatch.GetTimestamp()));
        }

        return Task.CompletedTask;
    }

    public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
    {
        if (_started.TryGetValue(session, out var started))
        {
            _started.Remove(session);
            _duration.Record(Stopwatch.GetElapsedTime(started.Value).TotalSeconds);
        }

        if (_appended.Enabled)
        {
            foreach (var e in commit.GetEvents())
            {
                _appended.Add(1, new KeyValuePair<string, object?>("type", e.EventTypeName));
            }
        }

        return Task.CompletedTask;
    }
}
