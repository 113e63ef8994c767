using ModelRegistry.EventStore;

namespace ModelRegistry.Benchmarks;

internal sealed record VersionRegistered(string Model, long Version, ModelSource Source, string Format, string CreatedBy);

internal sealed record ModelSource(string Type, string Uri, string? Revision, string? File);

/// <summary>A payload shaped like the catalog's, so serialization costs what it will in the application.</summary>
internal static class BenchEvents
{
    public const string VersionRegisteredName = "VersionRegistered";

    public static void Register(EventTypeRegistry registry) => registry.Register<VersionRegistered>(VersionRegisteredName);

    public static VersionRegistered VersionRegistered(string model, long version) =>
        new(model, version, new ModelSource("huggingface", $"https://huggingface.co/{model}", "main", "model.Q4_K_M.gguf"), "gguf", "bench");

    /// <summary>The same payload built in SQL, for seeding; <paramref name="model"/> and <paramref name="version"/> are SQL expressions.</summary>
    public static string VersionRegisteredSql(string model, string version) => $"""
        jsonb_build_object('model', {model}, 'version', {version}, 'format', 'gguf', 'created_by', 'bench',
            'source', jsonb_build_object('type', 'huggingface', 'uri', 'https://huggingface.co/' || {model}, 'revision', 'main', 'file', 'model.Q4_K_M.gguf'))
        """;
}
