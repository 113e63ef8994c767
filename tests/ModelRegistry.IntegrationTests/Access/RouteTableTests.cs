using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Access;

/// <summary>Every route the app maps, taken from its endpoint table, is tried without a key and with each role.</summary>
public sealed partial class RouteTableTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private static readonly HashSet<string> Anonymous = ["/", "/health/live", "/health/ready", "/openapi/{documentName}.json"];

    private RegistryApp _closed = null!;
    private string _reader = null!;
    private string _publisher = null!;

    public async Task InitializeAsync()
    {
        _closed = await fixture.StartAsync(new Dictionary<string, string?> { ["Registry:Auth:AnonymousReads"] = "false" });
        _reader = await _closed.CreateKeyAsync("reader");
        _publisher = await _closed.CreateKeyAsync("publisher");
    }

    public async Task DisposeAsync() => await _closed.DisposeAsync();

    [Fact]
    public async Task Every_mutating_route_answers_401_without_a_key_and_403_to_a_reader()
    {
        var mutations = Routes().Where(r => r.Method != "GET").ToList();
        Assert.NotEmpty(mutations);

        foreach (var route in mutations)
        {
            Assert.Equal((route, 401), (route, await SendAsync(route, key: null)));
            Assert.Equal((route, 403), (route, await SendAsync(route, _reader)));
        }
    }

    [Fact]
    public async Task A_publisher_may_publish_but_not_lock_rebuild_scan_or_manage_keys()
    {
        var admin = Routes().Where(r => r.AdminOnly).ToList();
        Assert.Contains(admin, r => r.Pattern.EndsWith("/lock", StringComparison.Ordinal));
        Assert.Contains(admin, r => r.Pattern.StartsWith("/api/v1/keys", StringComparison.Ordinal));
        Assert.Contains(admin, r => r.Pattern.Contains("/rebuild", StringComparison.Ordinal));

        foreach (var route in Routes())
        {
            var status = await SendAsync(route, _publisher);
            if (route.AdminOnly)
            {
                Assert.Equal((route, 403), (route, status));
            }
            else
            {
                Assert.DoesNotContain(status, new[] { 401, 403 });
            }
        }
    }

    [Fact]
    public async Task Without_anonymous_reads_every_read_needs_a_key_and_a_reader_may_make_it()
    {
        var reads = Routes().Where(r => r.Method == "GET" && !r.AdminOnly).ToList();
        Assert.Contains(reads, r => r.Pattern == "/api/v1/audit");

        foreach (var route in reads)
        {
            Assert.Equal((route, 401), (route, await SendAsync(route, key: null)));
            Assert.DoesNotContain(await SendAsync(route, _reader), new[] { 401, 403 });
        }
    }

    [Fact]
    public async Task The_api_description_lists_exactly_the_mapped_routes()
    {
        var document = await fixture.App.Scenario(s => { s.Get.Url("/openapi/v1.json"); s.StatusCodeShouldBe(200); });

        var described = document.Json.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => $"{op.Name.ToUpperInvariant()} {path.Name}"))
            .Order().ToList();
        var mapped = Routes().Select(r => $"{r.Method} {Constraint().Replace(r.Pattern, "}")}").Distinct().Order().ToList();
        Assert.Equal(mapped, described);
    }

    private IEnumerable<Route> Routes() =>
        fixture.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => new Route(m, "/" + e.RoutePattern.RawText!.Trim('/'))))
            .Where(r => !Anonymous.Contains(r.Pattern))
            .OrderBy(r => r.Pattern).ThenBy(r => r.Method);

    /// <summary>
    /// The status a route answers, read as soon as its headers arrive: over the app's client, not an Alba scenario, which
    /// waits for the whole response, and a watch route's never ends.
    /// </summary>
    private async Task<int> SendAsync(Route route, string? key)
    {
        using var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Url);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (route.Method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new ByteArrayContent("{}"u8.ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        }

        using var response = await _closed.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return (int)response.StatusCode;
    }

    [GeneratedRegex(@":[a-z]+\}")]
    private static partial Regex Constraint();

    private sealed record Route(string Method, string Pattern)
    {
        public bool AdminOnly =>
            Pattern.StartsWith("/api/v1/keys", StringComparison.Ordinal)
            || (Pattern.StartsWith("/api/v1/admin/", StringComparison.Ordinal) && Method != "GET")
            || Pattern is "/api/v1/scan" or "/api/v1/integrity" or "/api/v1/storage/cleanup"
            || Pattern.EndsWith("/lock", StringComparison.Ordinal)
            || Pattern.EndsWith("/unlock", StringComparison.Ordinal);

        // Parameters get values no model, version or job has, so nothing a request does can change what is stored.
        public string Url => Parameter().Replace(Pattern, m => m.Value switch
        {
            _ when m.Value.Contains(":int", StringComparison.Ordinal) => "1",
            _ when m.Value.Contains(":guid", StringComparison.Ordinal) => Guid.NewGuid().ToString(),
            _ when m.Value.StartsWith("{**", StringComparison.Ordinal) => "route-table/probe",
            _ => "route-table-probe",
        });

        public override string ToString() => $"{Method} {Pattern}";
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();
}
