using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using ModelRegistry.Common;
using ModelRegistry.Downloads;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.Downloads.Sources;

namespace ModelRegistry.IntegrationTests.Downloads.Sources;

public sealed class EgressTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-egress-").FullName;
    private LoopbackServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _server.MapFile("/f", [1, 2, 3]);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    public static TheoryData<string> Corpus => new()
    {
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254:{port}/f",
        "http://127.0.0.2:{port}/f",
        "http://[::1]:{port}/f",
        "http://0x7f000001:{port}/f",
        "http://0x7f.0.0.1:{port}/f",
        "http://2130706433:{port}/f",
        "http://017700000001:{port}/f",
        "http://127.1:{port}/f",
        "http://[::ffff:127.0.0.1]:{port}/f",
        "http://localhost.:{port}/f",
        "http://LOCALHOST.:{port}/f",
        "http://0.0.0.0:{port}/f",
        "http://user:secret@127.0.0.1:{port}/f",
        "http://127.0.0.1:{port}@evil.example/f",
        "ftp://127.0.0.1:{port}/f",
        "file:///etc/passwd",
        "http://[fd00:ec2::254]/latest/meta-data/",
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task A_download_to_a_target_outside_the_allowed_hosts_is_refused(string target)
    {
        var url = new Uri(target.Replace("{port}", _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        var policy = new EgressPolicy([$"127.0.0.1:{_server.Port}"]);

        await Assert.ThrowsAsync<DownloadRefusedException>(() => Transfer(policy).RunAsync(new TransferRequest(Guid.NewGuid(), url, null), (_, _) => { }, default));

        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task The_connection_itself_is_refused_when_the_host_is_not_listed()
    {
        var policy = new EgressPolicy([$"127.0.0.1:{_server.Port}"]);
        using var client = DownloadHttp.Create(policy, new DownloadsOptions());

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.2:{_server.Port}/f"));

        Assert.Equal("host-not-allowed", DownloadHttp.Refusal(failure)?.Code);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task The_connection_itself_is_refused_when_the_port_is_not_listed()
    {
        var policy = new EgressPolicy(["127.0.0.1"]);
        using var client = DownloadHttp.Create(policy, new DownloadsOptions());

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(_server.Url("/f")));

        Assert.Equal("port-not-allowed", DownloadHttp.Refusal(failure)?.Code);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task A_failed_connection_says_nothing_about_the_state_of_the_port()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var notHttp = new TcpListener(IPAddress.Loopback, 0);
        notHttp.Start();
        var notHttpPort = ((IPEndPoint)notHttp.LocalEndpoint).Port;
        var answering = AnswerGarbageAsync(notHttp);
        var policy = new EgressPolicy([$"127.0.0.1:{closedPort}", $"127.0.0.1:{notHttpPort}", $"127.0.0.1:{_server.Port}"]);
        string[] targets = [$"http://127.0.0.1:{closedPort}/f", $"http://127.0.0.1:{notHttpPort}/f", $"https://127.0.0.1:{_server.Port}/f"];

        var messages = new List<string>();
        foreach (var target in targets)
        {
            var failure = await Assert.ThrowsAnyAsync<Exception>(() =>
                Transfer(policy).RunAsync(new TransferRequest(Guid.NewGuid(), new Uri(target), null), (_, _) => { }, default));
            Assert.IsNotType<DownloadRefusedException>(failure);
            messages.Add(failure.Message);
        }

        notHttp.Stop();
        await answering;
        Assert.Single(messages.Distinct());
        Assert.DoesNotContain(closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture), messages[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_listed_name_that_resolves_to_a_forbidden_address_is_refused_at_connect_time()
    {
        var rebound = new EgressPolicy([$"models.example:{_server.Port}"]) { Resolver = (_, _) => Task.FromResult(new[] { IPAddress.Loopback }) };
        var vouched = new EgressPolicy([$"models.example:{_server.Port}", "127.0.0.1"]) { Resolver = (_, _) => Task.FromResult(new[] { IPAddress.Loopback }) };
        var url = new Uri($"http://models.example:{_server.Port}/f");

        var refused = await Assert.ThrowsAsync<DownloadRefusedException>(() =>
            Transfer(rebound).RunAsync(new TransferRequest(Guid.NewGuid(), url, null), (_, _) => { }, default));
        Assert.Equal("address-not-allowed", refused.Code);
        Assert.Empty(_server.Requests);

        var fetched = await Transfer(vouched).RunAsync(new TransferRequest(Guid.NewGuid(), url, null), (_, _) => { }, default);
        Assert.Equal(3, fetched.SizeBytes);
        Assert.Equal("models.example", Assert.Single(_server.Requests).Host);
    }

    [Fact]
    public async Task A_listed_localhost_may_reach_loopback()
    {
        var fetched = await Transfer(new EgressPolicy([$"localhost:{_server.Port}"]))
            .RunAsync(new TransferRequest(Guid.NewGuid(), new Uri($"http://localhost:{_server.Port}/f"), null), (_, _) => { }, default);

        Assert.Equal(3, fetched.SizeBytes);
    }

    /// <summary>A service that is not HTTP: it answers every connection with a line of its own and hangs up.</summary>
    private static async Task AnswerGarbageAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var connection = await listener.AcceptTcpClientAsync();
                await connection.GetStream().WriteAsync("SSH-2.0-OpenSSH_9.6\r\n"u8.ToArray());
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private HttpTransfer Transfer(EgressPolicy policy)
    {
        var options = new DownloadsOptions();
        return new HttpTransfer(DownloadHttp.Create(policy, options), policy,
            new ArtifactStore(Options.Create(new RegistryOptions { Storage = { Root = _root } })), options);
    }
}
