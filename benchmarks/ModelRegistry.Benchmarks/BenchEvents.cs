using System.Collections.Immutable;
using ModelRegistry.Catalog;

namespace ModelRegistry.Benchmarks;

/// <summary>The catalog's own events, shaped as a registration from a remote source makes them, so they cost what they will in the application.</summary>
internal static class BenchEvents
{
    public static VersionRegistered VersionRegistered(string model, int version) =>
        new(version, new VersionSource(SourceType.Huggingface, $"https://huggingface.co/{model}", "main", "model.Q4_K_M.gguf"), null,
            ModelFormat.Gguf, VersionMetadata.Empty, ArtifactStatus.Pending, null, null);
}
