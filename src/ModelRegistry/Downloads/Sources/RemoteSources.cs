using System.Text.Json;
using ModelRegistry.Catalog;

namespace ModelRegistry.Downloads.Sources;

/// <summary>Where a version's file is fetched from, and what it will be called on disk.</summary>
/// <param name="Url">The first URL to GET.</param>
/// <param name="FileName">The file's name in the repository or URL.</param>
/// <param name="Revision">The hub revision asked for (the commit it resolved to comes back as <c>X-Repo-Commit</c>).</param>
/// <param name="Token">The hub token, for the hub only.</param>
/// <param name="TokenAudience">The hub's origin.</param>
internal sealed record RemoteTarget(Uri Url, string FileName, string? Revision, string? Token, Uri? TokenAudience);

/// <summary>
/// Turns a version's source into a URL: a <c>url</c> source is itself; a <c>huggingface</c> one goes through the resolve
/// protocol, <c>{endpoint}/{repo}/resolve/{revision}/{file}</c>, and a repository named without a file means its one model
/// file, looked up in the hub's model API.
/// </summary>
internal sealed class RemoteSources(HttpClient client, EgressPolicy policy, HuggingFaceOptions hub)
{
    private const long MaxListingBytes = 16 * 1024 * 1024;
    private static readonly string[] ModelExtensions = [".gguf", ".safetensors", ".onnx", ".bin", ".pt", ".pth"];

    public async Task<RemoteTarget> ResolveAsync(VersionSource source, CancellationToken ct)
    {
        switch (source.Type)
        {
            case SourceType.Url:
                var url = Uri.TryCreate(source.Uri, UriKind.Absolute, out var parsed)
                    ? parsed
                    : throw new DownloadRefusedException("invalid-url", $"'{source.Uri}' is not an absolute URL.");
                policy.CheckUrl(url);
                return new RemoteTarget(url, url.AbsolutePath, null, null, null);
            case SourceType.Huggingface:
                var endpoint = hub.EndpointUri;
                var revision = source.Revision ?? "main";
                var file = source.File ?? await SingleModelFileAsync(source.Uri, revision, ct);
                var resolve = new Uri(endpoint, $"{source.Uri}/resolve/{Uri.EscapeDataString(revision)}/{EscapePath(file)}");
                return new RemoteTarget(resolve, file, revision, hub.Token, endpoint);
            default:
                throw new DownloadRefusedException("not-downloadable", $"A {source.Type.ToString().ToLowerInvariant()} source is not downloaded.");
        }
    }

    private async Task<string> SingleModelFileAsync(string repo, string revision, CancellationToken ct)
    {
        var endpoint = hub.EndpointUri;
        var url = new Uri(endpoint, $"api/models/{repo}/revision/{Uri.EscapeDataString(revision)}");
        policy.CheckUrl(url);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (hub.Token is { } token)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        using (var response = await DownloadHttp.SendAsync(client, request, ct))
        {
            if (!response.IsSuccessStatusCode)
            {
                throw DownloadHttp.Failure(response, url);
            }

            if (response.Content.Headers.ContentLength > MaxListingBytes)
            {
                throw new DownloadRefusedException("too-large", $"The hub's file list for {repo} is too large to read.");
            }

            await using var body = await response.Content.ReadAsStreamAsync(ct);
            using var listing = await JsonDocument.ParseAsync(new LimitedStream(body, MaxListingBytes), cancellationToken: ct);
            var modelFiles = listing.RootElement.TryGetProperty("siblings", out var siblings) && siblings.ValueKind == JsonValueKind.Array
                ? siblings.EnumerateArray()
                    .Select(s => s.TryGetProperty("rfilename", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null)
                    .OfType<string>()
                    .Where(name => ModelExtensions.Contains(Path.GetExtension(name), StringComparer.OrdinalIgnoreCase))
                    .ToList()
                : [];
            // The hub's answer is no more trusted than a user's request: a name the user could not have written is never requested.
            var files = modelFiles.Where(CatalogRules.IsRepoFile).ToList();
            var ignored = modelFiles.Count - files.Count;
            return files switch
            {
                [var only] => only,
                [] when ignored > 0 => throw new DownloadRefusedException("invalid-model-file",
                    $"{repo}@{revision} lists {ignored} model file name(s) that are not a file path inside the repository; none was requested."),
                [] => throw new DownloadRefusedException("no-model-file", $"{repo}@{revision} has no model file ({string.Join(", ", ModelExtensions)})."),
                _ => throw new DownloadRefusedException("ambiguous-model-file",
                    $"{repo}@{revision} has {files.Count} model files ({string.Join(", ", files.Take(10))}); name one: hf:{repo}/<file>."),
            };
        }
    }

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    /// <summary>Reads at most a given number of bytes, then fails: a listing cannot make the registry buffer without bound.</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Count(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read) =>
            (_read += read) > limit ? throw new DownloadRefusedException("too-large", "The hub's file list is too large to read.") : read;
    }
}
