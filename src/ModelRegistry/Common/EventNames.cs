using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using JasperFx.Events;
using Marten;

namespace ModelRegistry.Common;

/// <summary>
/// An event's type and schema version as the API shows them, and its payload as stored. Marten keeps the schema version in the
/// stored type name (<c>VersionRegistered_v2</c>; schema 1 is the plain name, as every event of today is), and upcasts an older
/// payload to the current type as it reads it: the API shows the type and schema of the payload it was read as.
/// </summary>
internal sealed class EventNames(IDocumentStore store)
{
    private readonly IEventRegistry _registry = (IEventRegistry)store.Options.Events;
    private readonly ConcurrentDictionary<Type, (string Type, int SchemaVersion)> _byType = new();

    public (string Type, int SchemaVersion) Of(IEvent e) =>
        e.Data is JsonElement or JsonDocument
            ? SplitTypeName(e.EventTypeName)
            : _byType.GetOrAdd(e.EventType, t => SplitTypeName(_registry.EventMappingFor(t).EventTypeName));

    /// <summary>Every name events of these API types may be stored under: each schema version up to the current one.</summary>
    public IEnumerable<string> StoredNames(IEnumerable<string> types) =>
        types.SelectMany(type => Enumerable.Range(1, CurrentSchemaVersion(type)).Select(version => StoredTypeName(type, version))).Distinct();

    /// <summary>The payload as the store's serializer writes it (after upcasting, the current schema's shape).</summary>
    public JsonElement Json(IEvent e) =>
        e.Data as JsonElement? ?? JsonSerializer.Deserialize<JsonElement>(store.Options.Serializer().ToJson(e.Data));

    private int CurrentSchemaVersion(string type) =>
        Catalog.CatalogStream.EventTypes.Select(t => SplitTypeName(_registry.EventMappingFor(t.Type).EventTypeName))
            .Where(n => n.Type == type).Select(n => n.SchemaVersion).DefaultIfEmpty(1).Max();

    /// <summary>The stored name's type and schema version: <c>VersionRegistered_v2</c> is schema 2, a name without the suffix schema 1.</summary>
    public static (string Type, int SchemaVersion) SplitTypeName(string stored)
    {
        var at = stored.LastIndexOf("_v", StringComparison.Ordinal);
        return at > 0 && int.TryParse(stored.AsSpan(at + 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 1
            ? (stored[..at], version)
            : (stored, 1);
    }

    /// <summary>The name Marten stores for <paramref name="type"/> at <paramref name="schemaVersion"/>.</summary>
    public static string StoredTypeName(string type, int schemaVersion) =>
        schemaVersion == 1 ? type : $"{type}_v{schemaVersion.ToString(CultureInfo.InvariantCulture)}";
}
