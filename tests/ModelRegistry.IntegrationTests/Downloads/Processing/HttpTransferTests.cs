using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using ModelRegistry.Common;
using ModelRegistry.Downloads;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.Downloads.Sources;

namespace ModelRegistry.IntegrationTests.Downloads.Processing;

public sealed class HttpTransferTests : IAsyncLifetime
{
    private const int MiB = 1024 * 1024;
    private readonly string _root = Directory.CreateTempSubdirectory("mr-transfer-").FullName;
    private readonly List<HttpClient> _clients = [];
    private LoopbackServer _server = null!;

    private ArtifactStore Store => new(Options.Create(new RegistryOptions { Storage = { Root = _root } }));

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync()
    {
        _clients.ForEach(c => c.Dispose());
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_download_is_streamed_into_its_partial_file_and_hashed_on_the_way()
    {
        var content = Bytes(3 * MiB + 17);
        _server.MapFile("/model.gguf", content);
        var job = Guid.NewGuid();

        var result = await Transfer().RunAsync(new TransferRequest(job, new Uri(_server.Url("/model.gguf")), null), (_, _) => { }, default);

        Assert.Equal(content.Length, result.SizeBytes);
        Assert.Equal(Sha256(content), result.Sha256);
        Assert.Equal("\"v1\"", result.ETag);
        Assert.Equal(content, await File.ReadAllBytesAsync(Store.IncompletePath(job)));
    }

    [Fact]
    public async Task A_dropped_connection_is_resumed_with_a_range_request_for_the_rest()
    {
        var content = Bytes(4 * MiB);
        _server.MapFile("/dropped.bin", content, breakAfter: (3 * MiB / 2) + 5);
        var job = Guid.NewGuid();

        var result = await Transfer().RunAsync(new TransferRequest(job, new Uri(_server.Url("/dropped.bin")), Sha256(content)), (_, _) => { }, default);

        Assert.Equal(Sha256(content), result.Sha256);
        var requests = _server.RequestsTo("/dropped.bin");
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Range);
        Assert.Matches(@"^bytes=[1-9]\d*-$", requests[1].Range);
        Assert.Equal("\"v1\"", requests[1].IfRange);
        Assert.Equal(content, await File.ReadAllBytesAsync(Store.IncompletePath(job)));
    }

    [Fact]
    public async Task The_next_attempt_resumes_the_partial_file_an_earlier_one_left()
    {
        var content = Bytes(3 * MiB);
        _server.MapFile("/crash.bin", content, breakAfter: 2 * MiB);
        var job = Guid.NewGuid();
        var request = new TransferRequest(job, new Uri(_server.Url("/crash.bin")), Sha256(content));

        await Assert.ThrowsAnyAsync<IOException>(() => Transfer(o => o.MaxReconnects = 0).RunAsync(request, (_, _) => { }, default));
        var left = new FileInfo(Store.IncompletePath(job)).Length;
        Assert.InRange(left, 1, content.Length - 1);

        var reported = new List<long>();
        var result = await Transfer().RunAsync(request, (done, _) => reported.Add(done), default);

        Assert.Equal(Sha256(content), result.Sha256);
        Assert.Equal($"bytes={left}-", _server.RequestsTo("/crash.bin")[1].Range);
        Assert.True(reported[0] > left);
        Assert.Equal(content.Length, reported[^1]);
    }

    [Fact]
    public async Task A_file_that_changed_since_the_partial_download_is_fetched_again_from_the_start()
    {
        var first = Bytes(2 * MiB);
        var second = Bytes(2 * MiB);
        _server.MapFile("/changing.bin", first, "\"old\"", breakAfter: MiB);
        var job = Guid.NewGuid();
        var request = new TransferRequest(job, new Uri(_server.Url("/changing.bin")), null);
        await Assert.ThrowsAnyAsync<IOException>(() => Transfer(o => o.MaxReconnects = 0).RunAsync(request, (_, _) => { }, default));

        _server.MapFile("/changing.bin", second, "\"new\"");
        var result = await Transfer().RunAsync(request, (_, _) => { }, default);

        Assert.Equal("\"old\"", _server.RequestsTo("/changing.bin")[1].IfRange);
        Assert.Equal(Sha256(second), result.Sha256);
        Assert.Equal(second, await File.ReadAllBytesAsync(Store.IncompletePath(job)));
    }

    [Fact]
    public async Task A_response_that_stalls_is_dropped_after_the_idle_timeout_and_resumed()
    {
        var content = Bytes(2 * MiB);
        _server.MapFile("/stall.bin", content, breakAfter: MiB, stall: true);

        var result = await Transfer(o => o.IdleTimeout = TimeSpan.FromMilliseconds(300))
            .RunAsync(new TransferRequest(Guid.NewGuid(), new Uri(_server.Url("/stall.bin")), Sha256(content)), (_, _) => { }, default);

        Assert.Equal(Sha256(content), result.Sha256);
        Assert.NotNull(_server.RequestsTo("/stall.bin")[1].Range);
    }

    [Fact]
    public async Task A_file_whose_hash_is_not_the_expected_one_is_refused_and_deleted()
    {
        _server.MapFile("/wrong.bin", Bytes(MiB));
        var job = Guid.NewGuid();

        var refused = await Assert.ThrowsAsync<DownloadRefusedException>(() => Transfer().RunAsync(
            new TransferRequest(job, new Uri(_server.Url("/wrong.bin")), Sha256(Bytes(10))), (_, _) => { }, default));

        Assert.Equal("sha256-mismatch", refused.Code);
        Assert.False(File.Exists(Store.IncompletePath(job)));
        Assert.False(File.Exists(Store.ResumePath(job)));
    }

    [Fact]
    public async Task The_hubs_linked_etag_is_the_expected_hash_when_the_request_gives_none()
    {
        var content = Bytes(MiB);
        _server.MapFile("/cdn/good", content);
        _server.MapFile("/cdn/bad", content);
        _server.MapRedirect("/org/repo/resolve/main/good.gguf", "/cdn/good", headers: ("X-Linked-Etag", $"\"{Sha256(content)}\""));
        _server.MapRedirect("/org/repo/resolve/main/bad.gguf", "/cdn/bad", headers: ("X-Linked-Etag", $"\"{Sha256(Bytes(3))}\""));

        var good = await Transfer().RunAsync(new TransferRequest(Guid.NewGuid(), new Uri(_server.Url("/org/repo/resolve/main/good.gguf")), null),
            (_, _) => { }, default);
        var bad = await Assert.ThrowsAsync<DownloadRefusedException>(() => Transfer().RunAsync(
            new TransferRequest(Guid.NewGuid(), new Uri(_server.Url("/org/repo/resolve/main/bad.gguf")), null), (_, _) => { }, default));

        Assert.Equal(Sha256(content), good.LinkedEtag);
        Assert.Equal("sha256-mismatch", bad.Code);
    }

    [Fact]
    public async Task A_file_declared_larger_than_the_maximum_is_refused_before_its_body_is_read()
    {
        _server.MapFile("/huge.bin", Bytes(2 * MiB));
        var job = Guid.NewGuid();

        var refused = await Assert.ThrowsAsync<DownloadRefusedException>(() => Transfer(o => o.MaxSizeBytes = MiB).RunAsync(
            new TransferRequest(job, new Uri(_server.Url("/huge.bin")), null), (_, _) => { }, default));

        Assert.Equal("too-large", refused.Code);
        Assert.False(File.Exists(Store.IncompletePath(job)));
    }

    [Fact]
    public async Task A_response_without_a_length_is_cut_off_at_the_maximum()
    {
        _server.Map("/endless", http => LoopbackServer.WriteAsync(http, Bytes(4 * MiB)));
        var job = Guid.NewGuid();
        long seen = 0;

        var refused = await Assert.ThrowsAsync<DownloadRefusedException>(() => Transfer(o => o.MaxSizeBytes = MiB).RunAsync(
            new TransferRequest(job, new Uri(_server.Url("/endless")), null), (done, _) => seen = done, default));

        Assert.Equal("too-large", refused.Code);
        Assert.True(seen <= MiB);
        Assert.False(File.Exists(Store.IncompletePath(job)));
    }

    [Fact]
    public async Task A_server_that_sends_more_than_it_declared_is_refused()
    {
        _server.Map("/liar", http =>
        {
            http.Response.Headers["X-Linked-Size"] = "1000";
            return LoopbackServer.WriteAsync(http, Bytes(2 * MiB));
        });

        var refused = await Assert.ThrowsAsync<DownloadRefusedException>(() => Transfer().RunAsync(
            new TransferRequest(Guid.NewGuid(), new Uri(_server.Url("/liar")), null), (_, _) => { }, default));

        Assert.Equal("length-mismatch", refused.Code);
    }

    [Fact]
    public async Task A_server_whose_declared_lengths_disagree_is_refused()
    {
        _server.MapRedirect("/org/repo/resolve/main/f.bin", "/cdn/f.bin", headers: ("X-Linked-Size", "12345"));
        _server.MapFile("/cdn/f.bin", Bytes(MiB));

        var refused = await Assert.ThrowsAsync<DownloadRefusedException>(() => Transfer().RunAsync(
            new TransferRequest(Guid.NewGuid(), new Uri(_server.Url("/org/repo/resolve/main/f.bin")), null), (_, _) => { }, default));

        Assert.Equal("length-mismatch", refused.Code);
    }

    [Fact]
    public async Task A_redirect_to_a_host_that_is_not_allowed_is_refused_without_connecting()
    {
        _server.MapRedirect("/to-metadata", "http://169.254.169.254/latest/meta-data/");
        _server.MapRedirect("/to-other-port", $"http://127.0.0.1:{_server.Port}/file");
        _server.MapRedirect("/to-localhost-dot", $"http://localhost.:{_server.Port}/file");
        _server.MapFile("/file", Bytes(10));

        foreach (var path in new[] { "/to-metadata", "/to-localhost-dot" })
        {
            var refused = await Assert.ThrowsAsync<DownloadRefusedException>(() => Transfer().RunAsync(
                new TransferRequest(Guid.NewGuid(), new Uri(_server.Url(path)), null), (_, _) => { }, default));
            Assert.Equal("host-not-allowed", refused.Code);
        }

        Assert.Empty(_server.RequestsTo("/file"));
    }

    [Fact]
    public async Task A_redirect_to_a_port_that_is_not_listed_is_refused()
    {
        using var database = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        database.Start();
        var port = ((System.Net.IPEndPoint)database.LocalEndpoint).Port;
        _server.MapRedirect("/to-database", $"http://127.0.0.1:{port}/");
        _server.MapRedirect("/to-localhost-database", $"http://localhost:{port}/");

        foreach (var path in new[] { "/to-database", "/to-localhost-database" })
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var refused = await Assert.ThrowsAsync<DownloadRefusedException>(() => Transfer().RunAsync(
                new TransferRequest(Guid.NewGuid(), new Uri(_server.Url(path)), null), (_, _) => { }, patience.Token));
            Assert.Equal("port-not-allowed", refused.Code);
        }

        Assert.False(database.Pending());
    }

    [Fact]
    public async Task At_most_five_redirects_are_followed()
    {
        _server.MapFile("/end", Bytes(10));
        for (var i = 0; i < 6; i++)
        {
            _server.MapRedirect($"/hop{i}", i == 5 ? "/end" : $"/hop{i + 1}");
        }

        var refused = await Assert.ThrowsAsync<DownloadRefusedException>(() => Transfer().RunAsync(
            new TransferRequest(Guid.NewGuid(), new Uri(_server.Url("/hop0")), null), (_, _) => { }, default));
        var followed = await Transfer().RunAsync(new TransferRequest(Guid.NewGuid(), new Uri(_server.Url("/hop1")), null), (_, _) => { }, default);

        Assert.Equal("too-many-redirects", refused.Code);
        Assert.Equal(10, followed.SizeBytes);
    }

    [Fact]
    public async Task The_token_goes_to_the_hub_and_never_to_the_host_it_redirects_to()
    {
        _server.MapRedirect("/org/repo/resolve/main/w.gguf", $"http://localhost:{_server.Port}/cdn/w.gguf");
        _server.MapFile("/cdn/w.gguf", Bytes(100));
        var hub = new Uri(_server.Url("/"));

        await Transfer().RunAsync(new TransferRequest(Guid.NewGuid(), new Uri(_server.Url("/org/repo/resolve/main/w.gguf")), null, "hf_secret", hub),
            (_, _) => { }, default);

        Assert.Equal("Bearer hf_secret", _server.RequestsTo("/org/repo/resolve/main/w.gguf").Single().Authorization);
        var cdn = _server.RequestsTo("/cdn/w.gguf").Single();
        Assert.Equal("localhost", cdn.Host);
        Assert.Null(cdn.Authorization);
    }

    [Fact]
    public async Task A_client_error_is_a_refusal_and_a_server_error_may_be_retried()
    {
        _server.Map("/gone", http =>
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        _server.Map("/busy", http =>
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        });

        var refused = await Assert.ThrowsAsync<DownloadRefusedException>(() => Transfer().RunAsync(
            new TransferRequest(Guid.NewGuid(), new Uri(_server.Url("/gone")), null), (_, _) => { }, default));
        await Assert.ThrowsAsync<HttpRequestException>(() => Transfer().RunAsync(
            new TransferRequest(Guid.NewGuid(), new Uri(_server.Url("/busy")), null), (_, _) => { }, default));

        Assert.Equal("http-404", refused.Code);
    }

    private HttpTransfer Transfer(Action<DownloadsOptions>? configure = null)
    {
        var options = new DownloadsOptions
        {
            AllowedHosts = $"127.0.0.1:{_server.Port},localhost:{_server.Port}", IdleTimeout = TimeSpan.FromSeconds(10), MaxReconnects = 3,
        };
        configure?.Invoke(options);
        var policy = EgressPolicy.From(options, new HuggingFaceOptions());
        var client = DownloadHttp.Create(policy, options);
        _clients.Add(client);
        return new HttpTransfer(client, policy, Store, options);
    }

    private static byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
