using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using ModelRegistry.Catalog.Sources;
using ModelRegistry.Common;

namespace ModelRegistry.IntegrationTests.Catalog.Sources;

/// <summary>The file-system side of local sources, on a real directory tree with real links.</summary>
public sealed class LocalSourceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-local-root-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("mr-local-outside-").FullName;

    private LocalSource Source(bool allowFileUrls = false) => new(Options.Create(new RegistryOptions
    {
        Storage = { Root = _root },
        Downloads = { AllowFileUrls = allowFileUrls },
    }));

    [Fact]
    public async Task A_file_is_measured_in_one_streaming_pass_across_many_buffers()
    {
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        Write("big/model.safetensors", content);

        var measured = await Source().MeasureAsync("big/model.safetensors", "source.uri", default);

        Assert.Equal("big/model.safetensors", measured.LocalPath);
        Assert.Equal(content.Length, measured.SizeBytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), measured.Sha256);
    }

    [Fact]
    public async Task A_relative_link_that_climbs_out_of_the_root_is_refused()
    {
        File.WriteAllText(Path.Combine(_outside, "secret.bin"), "secret");
        Directory.CreateDirectory(Path.Combine(_root, "a"));
        File.CreateSymbolicLink(Path.Combine(_root, "a", "escape.bin"), Path.GetRelativePath(Path.Combine(_root, "a"), Path.Combine(_outside, "secret.bin")));

        await AssertRefused("a/escape.bin", "local-source-outside-root");
    }

    [Fact]
    public async Task Dot_dot_after_a_link_climbs_from_where_the_link_led()
    {
        // root/deep/link -> root/x/y ; "deep/link/../../outside-link" would stay inside lexically, but ".." climbs from root/x/y.
        Directory.CreateDirectory(Path.Combine(_root, "x", "y"));
        Directory.CreateDirectory(Path.Combine(_root, "deep"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "deep", "link"), Path.Combine(_root, "x", "y"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "x", "y", "hop"), Path.Combine(_root, "x", "y", "..", "..", ".."));
        File.WriteAllText(Path.Combine(_outside, "f.bin"), "secret");

        await AssertRefused($"deep/link/hop/{Path.GetFileName(_outside)}/f.bin", "local-source-outside-root");
    }

    [Fact]
    public async Task A_chain_of_links_that_ends_inside_the_root_is_followed()
    {
        Write("real/model.gguf", "weights"u8.ToArray());
        File.CreateSymbolicLink(Path.Combine(_root, "first.gguf"), "second.gguf");
        File.CreateSymbolicLink(Path.Combine(_root, "second.gguf"), Path.Combine("real", "model.gguf"));

        var measured = await Source().MeasureAsync("first.gguf", "source.uri", default);

        Assert.Equal("first.gguf", measured.LocalPath);
        Assert.Equal(7, measured.SizeBytes);
    }

    [Fact]
    public async Task Links_that_loop_are_refused()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "ping"), "pong");
        File.CreateSymbolicLink(Path.Combine(_root, "pong"), "ping");

        await AssertRefused("ping", "local-source-unresolvable");
    }

    [Fact]
    public async Task An_empty_file_is_refused()
    {
        Write("empty.bin", []);

        await AssertRefused("empty.bin", "local-source-not-a-file");
    }

    [Theory]
    [InlineData(".incomplete/0f8fad5b-d9cb-469f-a165-70867728950e.incomplete")]
    [InlineData(".incomplete/model.gguf")]
    [InlineData("blobs/sha256/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("Blobs/SHA256/model.gguf")]
    public async Task A_file_in_the_registrys_own_directories_is_refused(string path)
    {
        Write(path, "weights"u8.ToArray());

        await AssertRefused(path, "local-source-reserved");
    }

    [Fact]
    public async Task A_link_into_the_registrys_own_directories_is_refused()
    {
        Write(".incomplete/model.gguf", "weights"u8.ToArray());
        Directory.CreateDirectory(Path.Combine(_root, "in"));
        File.CreateSymbolicLink(Path.Combine(_root, "in", "model.gguf"), Path.Combine("..", ".incomplete", "model.gguf"));

        await AssertRefused("in/model.gguf", "local-source-reserved");
    }

    [Fact]
    public async Task An_allowed_file_url_inside_the_root_is_recorded_relative_to_it()
    {
        Write("inside/model.onnx", "onnx"u8.ToArray());

        var measured = await Source(allowFileUrls: true).MeasureAsync(new Uri(Path.Combine(_root, "inside", "model.onnx")).AbsoluteUri, "source.uri", default);

        Assert.Equal("inside/model.onnx", measured.LocalPath);
    }

    [Theory]
    [InlineData("file://server/share/model.onnx")]
    [InlineData("file:///srv/model.onnx?version=2")]
    [InlineData("file:relative")]
    public async Task A_file_url_that_is_not_a_plain_local_path_is_refused(string url)
    {
        var error = await Assert.ThrowsAsync<DomainException>(() => Source(allowFileUrls: true).MeasureAsync(url, "source.uri", default));

        Assert.Equal(400, error.Status);
        Assert.Contains("source.uri", error.Errors.Keys);
    }

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    private void Write(string relative, byte[] content)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    private async Task AssertRefused(string uri, string code)
    {
        var error = await Assert.ThrowsAsync<DomainException>(() => Source().MeasureAsync(uri, "source.uri", default));
        Assert.Equal(code, error.Code);
        Assert.Equal(["source.uri"], error.Errors.Keys);
    }
}
