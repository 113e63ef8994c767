using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Processing;

namespace ModelRegistry.IntegrationTests.Downloads.Processing;

/// <summary>Publishing on a real directory tree: a readable path is only ever created, never replaced.</summary>
public sealed class ArtifactStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-artifacts-").FullName;

    private ArtifactStore Store => new(Options.Create(new RegistryOptions { Storage = { Root = _root } }));

    [Fact]
    public void Publishing_onto_a_path_taken_since_it_was_chosen_fails_and_leaves_that_file_as_it_is()
    {
        var (job, sha256) = Partial("downloaded"u8.ToArray());
        Directory.CreateDirectory(Path.Combine(_root, "m", "1"));
        File.WriteAllText(Path.Combine(_root, "m", "1", "model.gguf"), "someone else's");

        Assert.Throws<IOException>(() => Store.Publish(job, sha256, 10, "m/1/model.gguf"));

        Assert.Equal("someone else's", File.ReadAllText(Path.Combine(_root, "m", "1", "model.gguf")));
        Assert.Equal("downloaded", File.ReadAllText(Store.BlobPath(sha256)));
    }

    [Fact]
    public void A_link_that_leads_nowhere_takes_its_name()
    {
        Directory.CreateDirectory(Path.Combine(_root, "m", "1"));
        File.CreateSymbolicLink(Path.Combine(_root, "m", "1", "model.gguf"), Path.Combine(_root, "nowhere"));

        Assert.True(Store.IsTaken("m/1/model.gguf"));
        Assert.False(Store.IsTaken("m/1/model-2.gguf"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private (Guid Job, string Sha256) Partial(byte[] content)
    {
        var job = Guid.NewGuid();
        Directory.CreateDirectory(Path.GetDirectoryName(Store.IncompletePath(job))!);
        File.WriteAllBytes(Store.IncompletePath(job), content);
        return (job, Convert.ToHexStringLower(SHA256.HashData(content)));
    }
}
