using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ModelRegistry.EventStore;

/// <summary>
/// Maps event CLR types to explicit stored names and schema versions, and upcasts old payloads on read.
/// Stored names never come from CLR names, so renaming a class cannot break old events.
/// </summary>
public sealed class EventTypeRegistry
{
    private readonly ConcurrentDictionary<Type, (string Name, int Version)> _byType = new();
    private readonly ConcurrentDictionary<string, (Type Type, int Version)> _byName = new();
    private readonly ConcurrentDictionary<(string Name, int From), Func<JsonObject, JsonObject>> _upcasters = new();

    /// <summary>Serializer options for payloads: snake_case, as the HTTP API.</summary>
    public JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    };

    /// <summary>Every registered type with its stored name and schema version.</summary>
    public IEnumerable<(Type Type, string Name, int SchemaVersion)> All => _byType.Select(t => (t.Key, t.Value.Name, t.Value.Version));

    /// <summary>Registers <typeparamref name="T"/> under <paramref name="name"/> at <paramref name="schemaVersion"/>.</summary>
    public EventTypeRegistry Register<T>(string name, int schemaVersion = 1) => Register(typeof(T), name, schemaVersion);

    /// <summary>Registers <paramref name="type"/> under <paramref name="name"/> at <paramref name="schemaVersion"/>.</summary>
    public EventTypeRegistry Register(Type type, string name, int schemaVersion = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(schemaVersion, 1);
        if (_byName.TryGetValue(name, out var existing) && existing.Type != type)
        {
            throw new InvalidOperationException($"Event type name '{name}' is already registered for {existing.Type.Name}.");
        }

        _byType[type] = (name, schemaVersion);
        _byName[name] = (type, schemaVersion);
        return this;
    }

    /// <summary>Registers the transform of <paramref name="name"/> payloads from schema <paramref name="fromVersion"/> to the next.</summary>
    public EventTypeRegistry Upcast(string name, int fromVersion, Func<JsonObject, JsonObject> transform)
    {
        _upcasters[(name, fromVersion)] = transform;
        return this;
    }

    /// <summary>The stored name and schema version of an event payload.</summary>
    public (string Name, int SchemaVersion) Describe(object data) =>
        _byType.TryGetValue(data.GetType(), out var d)
            ? d
            : throw new InvalidOperationException($"Event type {data.GetType().Name} is not registered.");

    /// <summary>Whether a stored name is known.</summary>
    public bool IsKnown(string name) => _byName.ContainsKey(name);

    /// <summary>Serializes a payload to JSON.</summary>
    public string Serialize(object data) => JsonSerializer.Serialize(data, data.GetType(), JsonOptions);

    /// <summary>Upcasts a stored payload to the registered schema version, then materializes it.</summary>
    public (JsonElement Json, object Data, int SchemaVersion) Read(string name, int storedVersion, string json) =>
        Read(name, storedVersion, JsonDocument.Parse(json));

    /// <summary>Upcasts a parsed payload to the registered schema version, then materializes it; the document must stay undisposed.</summary>
    public (JsonElement Json, object Data, int SchemaVersion) Read(string name, int storedVersion, JsonDocument document)
    {
        var element = document.RootElement;
        if (!_byName.TryGetValue(name, out var target))
        {
            return (element, element, storedVersion);
        }

        var version = storedVersion;
        if (version < target.Version)
        {
            var node = JsonObject.Create(element)!;
            while (version < target.Version)
            {
                if (!_upcasters.TryGetValue((name, version), out var up))
                {
                    throw new InvalidOperationException($"No upcaster for '{name}' from schema version {version}.");
                }

                node = up(node);
                version++;
            }

            element = JsonSerializer.SerializeToElement(node, JsonOptions);
        }

        var data = element.Deserialize(target.Type, JsonOptions)
                   ?? throw new InvalidOperationException($"Event '{name}' deserialized to null.");
        return (element, data, version);
    }
}
