using System.Diagnostics.Metrics;

namespace ModelRegistry.EventStore;

/// <summary>
/// The store's instruments on the application's meter: <c>modelregistry.events.appended</c> (by event type) and
/// <c>modelregistry.append.duration</c>. They cost next to nothing while no listener or exporter is attached.
/// </summary>
public sealed class EventStoreMetrics
{
    /// <summary>The one meter the registry's instruments live on; a meter factory hands every caller the same instance.</summary>
    public const string MeterName = "ModelRegistry";

    private readonly Counter<long> _appended;
    private readonly Histogram<double> _duration;

    /// <summary>Creates the instruments on <see cref="MeterName"/>.</summary>
    /// <param name="meters">The host's meter factory.</param>
    public EventStoreMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _appended = meter.CreateCounter<long>("modelregistry.events.appended", "{event}", "Events appended to streams, by event type.");
        _duration = meter.CreateHistogram<double>("modelregistry.append.duration", "s", "How long an append took, its transaction included.");
    }

    internal void Appended(IReadOnlyList<StoredEvent> events, TimeSpan elapsed)
    {
        if (_appended.Enabled)
        {
            foreach (var e in events)
            {
                _appended.Add(1, new KeyValuePair<string, object?>("type", e.Type));
            }
        }

        _duration.Record(elapsed.TotalSeconds);
    }
}
