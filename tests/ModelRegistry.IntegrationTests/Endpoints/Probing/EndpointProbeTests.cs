using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using ModelRegistry.Endpoints;
using ModelRegistry.Endpoints.Probing;
using ModelRegistry.IntegrationTests.Downloads;

namespace ModelRegistry.IntegrationTests.Endpoints.Probing;

public sealed class EndpointProbeTests : IAsyncLifetime
{
    private const string Key = "sk-test-6f1c0c55";
    private const string Digest = "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72";
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);

    private readonly List<EndpointProbe> _probes = [];
    private LoopbackServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _server.Map("/api/tags", http => Json(http, $$$"""
            {"models":[{"name":"llama3.2:3b","model":"llama3.2:3b","modified_at":"2024-10-01T12:34:56.123456789Z","size":2019393189,
              "digest":"{{{Digest}}}","details":{"format":"gguf","family":"llama","parameter_size":"3.2B","quantization_level":"Q4_K_M"}},
             {"name":"nomic-embed-text:latest","size":274302450,"digest":"not-a-digest"}]}
            """));
        _server.Map("/v1/models", http => http.Request.Headers.Authorization == $"Bearer {Key}"
            ? Json(http, """{"object":"list","data":[{"id":"qwen2.5-7b-instruct","object":"model","created":1700000000,"owned_by":"vllm"}]}""")
            : Json(http, $$"""{"error":"invalid key {{http.Request.Headers.Authorization}}"}""", 401));
    }

    public async Task DisposeAsync()
    {
        _probes.ForEach(p => p.Dispose());
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task An_Ollama_endpoint_is_healthy_and_lists_its_models()
    {
        var result = await Probe().ProbeAsync(EndpointType.Ollama, Base(), null, null, default);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Null(result.Error);
        Assert.InRange(result.ResponseTimeMs, 0, (int)Generous.TotalMilliseconds);
        Assert.Collection(result.Models!,
            llama =>
            {
                Assert.Equal("llama3.2:3b", llama.Name);
                Assert.Equal(2019393189, llama.SizeBytes);
                Assert.Equal(Digest, llama.Digest);
                Assert.Equal(new DateTimeOffset(2024, 10, 1, 12, 34, 56, TimeSpan.Zero).AddTicks(1234567), llama.ModifiedAt);
                Assert.Equal("Q4_K_M", llama.Details!["quantization_level"]);
            },
            embed =>
            {
                Assert.Equal("nomic-embed-text:latest", embed.Name);
                Assert.Null(embed.Digest);
            });
    }

    [Fact]
    public async Task An_OpenAI_compatible_endpoint_answers_with_the_right_key_only()
    {
        var probe = Probe();

        var withoutKey = await probe.ProbeAsync(EndpointType.OpenAiCompatible, Base(), null, null, default);
        var wrongKey = await probe.ProbeAsync(EndpointType.OpenAiCompatible, Base(), "sk-wrong-key", null, default);
        var rightKey = await probe.ProbeAsync(EndpointType.OpenAiCompatible, Base("/v1"), Key, null, default);

        Assert.Equal((HealthStatus.Unhealthy, "answered 401 Unauthorized"), (withoutKey.Status, withoutKey.Error));
        Assert.Equal((HealthStatus.Unhealthy, "answered 401 Unauthorized"), (wrongKey.Status, wrongKey.Error));
        Assert.Null(wrongKey.Models);
        Assert.Equal(HealthStatus.Healthy, rightKey.Status);
        var model = Assert.Single(rightKey.Models!);
        Assert.Equal(("qwen2.5-7b-instruct", DateTimeOffset.FromUnixTimeSeconds(1700000000)), (model.Name, model.ModifiedAt));
        Assert.All(_server.RequestsTo("/v1/models"), r => Assert.Equal("127.0.0.1", r.Host));
    }

    [Fact]
    public async Task A_custom_endpoint_is_asked_at_its_models_path()
    {
        _server.Map("/custom/list", http => Json(http, """{"data":[{"id":"custom-model"}]}"""));

        var result = await Probe().ProbeAsync(EndpointType.Custom, Base("/custom"), null, "/list", default);

        Assert.Equal("custom-model", Assert.Single(result.Models!).Name);
    }

    [Fact]
    public async Task A_port_nobody_listens_on_is_an_unhealthy_endpoint()
    {
        var result = await Probe().ProbeAsync(EndpointType.Ollama, new Uri($"http://127.0.0.1:{DeadPort()}"), null, null, default);

        Assert.Equal((HealthStatus.Unhealthy, "connection refused"), (result.Status, result.Error));
        Assert.Null(result.Models);
    }

    [Fact]
    public async Task A_server_that_does_not_answer_times_out_within_the_timeout()
    {
        _server.Map("/api/tags", http => Task.Delay(Timeout.Infinite, http.RequestAborted));
        var started = Stopwatch.GetTimestamp();

        var result = await Probe(timeout: TimeSpan.FromMilliseconds(500)).ProbeAsync(EndpointType.Ollama, Base(), null, null, default);

        Assert.Equal((HealthStatus.Unhealthy, "timed out after 500 ms"), (result.Status, result.Error));
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, Generous);
    }

    [Fact]
    public async Task A_body_that_stalls_after_the_headers_times_out_too()
    {
        _server.Map("/api/tags", async http =>
        {
            await http.Response.WriteAsync("{\"models\":[", http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
            await Task.Delay(Timeout.Infinite, http.RequestAborted);
        });

        var result = await Probe(timeout: TimeSpan.FromMilliseconds(500)).ProbeAsync(EndpointType.Ollama, Base(), null, null, default);

        Assert.Equal((HealthStatus.Unhealthy, "timed out after 500 ms"), (result.Status, result.Error));
    }

    [Fact]
    public async Task The_caller_cancelling_is_not_an_unhealthy_endpoint()
    {
        _server.Map("/api/tags", http => Task.Delay(Timeout.Infinite, http.RequestAborted));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Probe(timeout: TimeSpan.FromSeconds(30)).ProbeAsync(EndpointType.Ollama, Base(), null, null, cancel.Token));
    }

    [Fact]
    public async Task A_malformed_body_is_unhealthy_and_not_repeated()
    {
        _server.Map("/api/tags", http => Json(http, "<html>SECRET-BODY-TEXT</html>"));

        var result = await Probe().ProbeAsync(EndpointType.Ollama, Base(), Key, null, default);

        Assert.Equal((HealthStatus.Unhealthy, "malformed body"), (result.Status, result.Error));
    }

    [Fact]
    public async Task An_endless_chunked_body_stops_at_the_limit()
    {
        // A raw socket counts what the client's end actually took: a write blocks once the client stops reading and fills the
        // kernel's buffers, and fails once it has closed (Kestrel would discard writes to a closed connection and count them).
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        long written = 0;
        var serving = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var request = new byte[8192];
            var seen = "";
            while (!seen.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(request);
                if (n == 0)
                {
                    return;
                }

                seen += Encoding.ASCII.GetString(request, 0, n);
            }

            var chunk = Encoding.ASCII.GetBytes($"10000\r\n{new string(' ', 0x10000)}\r\n");
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n{\"models\":[\r\n"));
                while (Interlocked.Read(ref written) < 1L << 30)
                {
                    await stream.WriteAsync(chunk);
                    Interlocked.Add(ref written, 0x10000);
                }
            }
            catch (IOException)
            {
            }
        });

        var result = await Probe(maxResponseBytes: 1 << 20, timeout: Generous)
            .ProbeAsync(EndpointType.Ollama, new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/"), null, null, default);
        await serving.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal((HealthStatus.Unhealthy, "response larger than 1 MiB"), (result.Status, result.Error));
        Assert.InRange(Interlocked.Read(ref written), 1 << 20, 64L << 20);
    }

    [Fact]
    public async Task A_body_declared_larger_than_the_limit_is_not_read()
    {
        _server.Map("/api/tags", http =>
        {
            http.Response.ContentLength = 2 << 20;
            return http.Response.WriteAsync("{\"models\":[]}");
        });

        var result = await Probe(maxResponseBytes: 1 << 20).ProbeAsync(EndpointType.Ollama, Base(), null, null, default);

        Assert.Equal((HealthStatus.Unhealthy, "response larger than 1 MiB"), (result.Status, result.Error));
    }

    [Fact]
    public async Task A_redirect_on_the_same_host_is_followed_with_the_key()
    {
        _server.MapRedirect("/moved/v1/models", "/v1/models", 307);

        var result = await Probe().ProbeAsync(EndpointType.OpenAiCompatible, Base("/moved"), Key, null, default);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal($"Bearer {Key}", Assert.Single(_server.RequestsTo("/v1/models")).Authorization);
    }

    [Fact]
    public async Task A_redirect_to_another_host_is_refused_and_the_key_stays_home()
    {
        await using var elsewhere = await LoopbackServer.StartAsync();
        elsewhere.Map("/v1/models", http => Json(http, """{"data":[]}"""));
        _server.MapRedirect("/v1/models", elsewhere.Url("/v1/models", "localhost"));
        _server.MapRedirect("/same-port/v1/models", _server.Url("/v1/models", "localhost"));

        var toAnotherPort = await Probe().ProbeAsync(EndpointType.OpenAiCompatible, Base(), Key, null, default);
        var toAnotherName = await Probe().ProbeAsync(EndpointType.OpenAiCompatible, Base("/same-port"), Key, null, default);

        Assert.Equal((HealthStatus.Unhealthy, "redirect to another host refused"), (toAnotherPort.Status, toAnotherPort.Error));
        Assert.Equal((HealthStatus.Unhealthy, "redirect to another host refused"), (toAnotherName.Status, toAnotherName.Error));
        Assert.Empty(elsewhere.Requests);
        Assert.DoesNotContain(_server.Requests, r => r.Host == "localhost");
    }

    [Fact]
    public async Task Endless_redirects_end()
    {
        _server.MapRedirect("/api/tags", "/api/tags");

        var result = await Probe().ProbeAsync(EndpointType.Ollama, Base(), null, null, default);

        Assert.Equal((HealthStatus.Unhealthy, $"more than {EndpointProbe.MaxRedirects} redirects"), (result.Status, result.Error));
        Assert.Equal(EndpointProbe.MaxRedirects + 1, _server.RequestsTo("/api/tags").Count);
    }

    [Fact]
    public async Task An_address_outside_the_allowed_hosts_is_never_connected_to()
    {
        var probe = Probe(new EndpointEgress("10.0.0.0/8, ollama.lan"));

        var result = await probe.ProbeAsync(EndpointType.Ollama, Base(), null, null, default);

        Assert.Equal((HealthStatus.Unhealthy, "address not allowed by Registry:Endpoints:AllowedHosts"), (result.Status, result.Error));
        Assert.Empty(_server.Requests);
    }

    [Theory]
    [InlineData("metadata.test")]
    [InlineData("169.254.169.254")]
    [InlineData("[::ffff:169.254.169.254]")]
    [InlineData("[fd00:ec2::254]")]
    public async Task A_link_local_or_metadata_address_is_refused_even_when_listed(string host)
    {
        var egress = new EndpointEgress("metadata.test, 169.254.0.0/16, fd00:ec2::/32, 127.0.0.0/8")
        {
            Resolver = (_, _) => Task.FromResult(new[] { IPAddress.Parse("169.254.169.254") }),
        };

        var result = await Probe(egress).ProbeAsync(EndpointType.Ollama, new Uri($"http://{host}:{_server.Port}"), null, null, default);

        Assert.Equal((HealthStatus.Unhealthy, "address not allowed by Registry:Endpoints:AllowedHosts"), (result.Status, result.Error));
    }

    [Fact]
    public async Task A_name_resolving_to_forbidden_and_allowed_addresses_is_reached_at_the_allowed_one_only()
    {
        var egress = new EndpointEgress("ollama.lan")
        {
            Resolver = (_, _) => Task.FromResult(new[] { IPAddress.Parse("169.254.169.254"), IPAddress.Loopback }),
        };

        var result = await Probe(egress).ProbeAsync(EndpointType.Ollama, new Uri($"http://ollama.lan:{_server.Port}"), null, null, default);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("ollama.lan", Assert.Single(_server.Requests).Host);
    }

    private EndpointProbe Probe(EndpointEgress? egress = null, TimeSpan? timeout = null, long? maxResponseBytes = null)
    {
        var probe = new EndpointProbe(egress ?? new EndpointEgress(null), new EndpointsOptions
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(5),
            MaxResponseBytes = maxResponseBytes ?? new EndpointsOptions().MaxResponseBytes,
        });
        _probes.Add(probe);
        return probe;
    }

    private Uri Base(string path = "") => new(_server.Url(path));

    private static Task Json(HttpContext http, string body, int status = 200)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(body);
    }

    private static int DeadPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
