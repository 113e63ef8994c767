using System.Globalization;
using System.Text.Json;

namespace ModelRegistry.Endpoints.Probing;

/// <summary>
/// Reads the models an endpoint lists: Ollama's <c>{"models": [...]}</c> from <c>/api/tags</c> or OpenAI's
/// <c>{"data": [...]}</c> from <c>/v1/models</c>. The body comes from a server we do not control, so a listing is kept
/// within bounds (entries, name length, details) and an entry it cannot read is passed over rather than failing the rest.
/// </summary>
internal static class ModelListing
{
    public const int MaxModels = 10_000;
    public const int MaxNameLength = 256;
    public const int MaxDetails = 32;
    public const int MaxDetailLength = 256;

    private static readonly JsonDocumentOptions Bounded = new() { MaxDepth = 16 };
    private static readonly JsonDocument Empty = JsonDocument.Parse("[]");

    /// <summary>The models in <paramref name="body"/>, or null when it is not JSON of the shape <paramref name="type"/> answers with.</summary>
    public static IReadOnlyList<DiscoveredModel>? Parse(EndpointType type, ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, Bounded);
            var root = document.RootElement;
            return type switch
            {
                EndpointType.Ollama => Ollama(root),
                EndpointType.OpenAiCompatible => OpenAi(root),
                _ => Ollama(root) ?? OpenAi(root),
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary><c>{"models": [{"name", "model", "size", "digest", "modified_at", "details": {...}}]}</c>.</summary>
    public static IReadOnlyList<DiscoveredModel>? Ollama(JsonElement root)
    {
        if (Array(root, "models") is not { } models)
        {
            return null;
        }

        return Entries(models, entry => Text(entry, "name") ?? Text(entry, "model"), (entry, name) => new DiscoveredModel(
            name,
            entry.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Number && size.TryGetInt64(out var bytes) && bytes >= 0 ? bytes : null,
            Sha256(Text(entry, "digest")),
            Timestamp(Text(entry, "modified_at")),
            entry.TryGetProperty("details", out var details) ? Flattened(details) : null));
    }

    /// <summary><c>{"data": [{"id", "created", "owned_by"}]}</c>; <c>created</c> is in unix seconds.</summary>
    public static IReadOnlyList<DiscoveredModel>? OpenAi(JsonElement root)
    {
        if (Array(root, "data") is not { } data)
        {
            return null;
        }

        return Entries(data, entry => Text(entry, "id"), (entry, name) => new DiscoveredModel(
            name,
            ModifiedAt: entry.TryGetProperty("created", out var created) && created.ValueKind == JsonValueKind.Number
                        && created.TryGetInt64(out var seconds) && seconds is > 0 and < 253_402_300_800
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null,
            Details: Text(entry, "owned_by") is { } owner ? new Dictionary<string, string> { ["owned_by"] = Capped(owner) } : null));
    }

    /// <summary>A sha256 as lower-case hex, from <c>abc…</c> or <c>sha256:abc…</c>; anything else is no digest.</summary>
    public static string? Sha256(string? digest)
    {
        var hex = digest?.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) == true ? digest[7..] : digest;
        return hex is { Length: 64 } && hex.All(char.IsAsciiHexDigit) ? hex.ToLowerInvariant() : null;
    }

    /// <summary>Ollama writes RFC 3339 with nanoseconds; .NET reads at most seven fractional digits.</summary>
    public static DateTimeOffset? Timestamp(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }

            text = end - dot - 1 > 7 ? string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end)) : text;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }

    /// <summary>An object's scalar members as text; arrays of scalars joined with commas; nested objects left out.</summary>
    public static IReadOnlyDictionary<string, string>? Flattened(JsonElement details)
    {
        if (details.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in details.EnumerateObject())
        {
            if (flat.Count == MaxDetails)
            {
                break;
            }

            var value = member.Value.ValueKind == JsonValueKind.Array
                ? string.Join(",", member.Value.EnumerateArray().Select(Scalar).OfType<string>())
                : Scalar(member.Value);
            if (value is not null && member.Name.Length <= MaxDetailLength)
            {
                flat[member.Name] = Capped(value);
            }
        }

        return flat.Count == 0 ? null : flat;
    }

    private static List<DiscoveredModel> Entries(JsonElement array, Func<JsonElement, string?> name, Func<JsonElement, string, DiscoveredModel> read)
    {
        var models = new List<DiscoveredModel>();
        foreach (var entry in array.EnumerateArray())
        {
            if (models.Count == MaxModels)
            {
                break;
            }

            if (entry.ValueKind == JsonValueKind.Object && name(entry) is { Length: > 0 and <= MaxNameLength } valid && !valid.Any(char.IsControl))
            {
                models.Add(read(entry, valid));
            }
        }

        return models;
    }

    /// <summary>The listing's array; a server with no models may write <c>null</c> for it, read as an empty one.</summary>
    private static JsonElement? Array(JsonElement root, string property) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(property, out var array)
            ? array.ValueKind switch
            {
                JsonValueKind.Array => array,
                JsonValueKind.Null => Empty.RootElement,
                _ => null,
            }
            : null;

    private static string? Text(JsonElement entry, string property) =>
        entry.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static string Capped(string value) => value.Length <= MaxDetailLength ? value : value[..MaxDetailLength];
}
