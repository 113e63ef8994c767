using System.Text.Json;

namespace ModelRegistry.EventStore;

/// <summary>The version a stream must be at for an append to succeed.</summary>
public readonly record struct ExpectedVersion
{
    private ExpectedVersion(long value) => Value = value;

    /// <summary>-1 for any, 0 for a stream that must not exist yet, otherwise the exact version.</summary>
    public long Value { get; }

    /// <summary>Append whatever the stream's version is.</summary>
    public static ExpectedVersion Any { get; } = new(-1);

    /// <summary>The stream must not exist yet.</summary>
    public static ExpectedVersion NoStream { get; } = new(0);

    /// <summary>The stream must be exactly at <paramref name="version"/> (0 means it must not exist).</summary>
    public static ExpectedVersion Exactly(long version) =>
        version >= 0 ? new(version) : throw new ArgumentOutOfRangeException(nameof(version));

    /// <inheritdoc />
    public override string ToString() => Value switch { -1 => "any", 0 => "no stream", _ => Value.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}

/// <summary>Who did it, why, and in which conversation: stored with every event of one append.</summary>
/// <param name="Actor">The principal that caused the change.</param>
/// <param name="CorrelationId">Ties together everything one request caused.</param>
/// <param name="CausationId">The message or event that caused this append.</param>
/// <param name="Reason">A human reason, optional.</param>
public sealed record EventMetadata(string? Actor, string? CorrelationId = null, string? CausationId = null, string? Reason = null)
{
    /// <summary>No metadata at all.</summary>
    public static EventMetadata None { get; } = new((string?)null);
}

/// <summary>An event to append; the id makes a retried append idempotent.</summary>
/// <param name="Data">The event payload; its type must be registered.</param>
/// <param name="Id">The event id (UUID v7 when omitted).</param>
public sealed record NewEvent(object Data, Guid? Id = null);

/// <summary>An event as stored, with its payload upcast to the current schema.</summary>
/// <param name="Position">Global position (<c>seq_id</c>).</param>
/// <param name="Id">Event id.</param>
/// <param name="StreamId">Stream key.</param>
/// <param name="StreamVersion">Version of the stream after this event.</param>
/// <param name="Type">Stored type name.</param>
/// <param name="SchemaVersion">Schema version of <see cref="Json"/> after upcasting.</param>
/// <param name="Json">The payload after upcasting.</param>
/// <param name="Data">The payload as its CLR type, or the JSON when the type is unknown.</param>
/// <param name="Timestamp">Database clock, UTC.</param>
/// <param name="Metadata">Actor, correlation, causation and reason.</param>
public sealed record StoredEvent(
    long Position,
    Guid Id,
    string StreamId,
    long StreamVersion,
    string Type,
    int SchemaVersion,
    JsonElement Json,
    object Data,
    DateTimeOffset Timestamp,
    EventMetadata Metadata);

/// <summary>What an append wrote (or, for a repeated event id, what was already there).</summary>
/// <param name="StreamVersion">The stream's version after the append.</param>
/// <param name="Events">The stored events, in order.</param>
/// <param name="WasDuplicate">True when every event id was already stored and nothing was written.</param>
public sealed record AppendResult(long StreamVersion, IReadOnlyList<StoredEvent> Events, bool WasDuplicate)
{
    /// <summary>The global position of the last event.</summary>
    public long LastPosition => Events.Count == 0 ? 0 : Events[^1].Position;
}

/// <summary>The stream was not at the expected version; nothing was written.</summary>
public sealed class ConcurrencyException(string streamId, ExpectedVersion expected, long? actual)
    : Exception($"Stream '{streamId}' expected at {expected} but is at {actual?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no stream"}.")
{
    /// <summary>The stream key.</summary>
    public string StreamId { get; } = streamId;

    /// <summary>The version the caller expected.</summary>
    public ExpectedVersion Expected { get; } = expected;

    /// <summary>The version the stream had, if it exists.</summary>
    public long? Actual { get; } = actual;
}

/// <summary>The database could not be reached while appending (its connection broke); whether the append committed is unknown.</summary>
public sealed class StoreUnavailableException(Exception inner)
    : Exception("The event store's database could not be reached: " + inner.Message, inner);
