using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Catalog.Registering;
using Marten;
using Wolverine;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog;

/// <summary>What every route shares: strict snake_case JSON, problems, credentials, correlation.</summary>
public sealed class HttpPlumbingTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task An_unknown_field_is_a_400_with_a_field_error()
    {
        var response = await App.Scenario(s =>
        {
            s.Post.RawJson("""{"name": "colourful", "colour": "red"}""").ToUrl(Models);
            s.StatusCodeShouldBe(400);
        });

        response.Problem("unknown-field");
        Assert.NotEmpty(response.FieldErrors("colour"));
        Assert.Empty(await App.StreamAsync("colourful"));
    }

    [Fact]
    public async Task A_field_in_PascalCase_is_unknown_because_bodies_are_snake_case()
    {
        var response = await App.Scenario(s => { s.Post.RawJson("""{"Name": "pascal"}""").ToUrl(Models); s.StatusCodeShouldBe(400); });

        response.Problem("unknown-field");
        Assert.NotEmpty(response.FieldErrors("Name"));
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_a_400_with_an_error_on_its_path()
    {
        var top = await App.Scenario(s => { s.Post.RawJson("""{"name": 5}""").ToUrl(Models); s.StatusCodeShouldBe(400); });
        var nested = await App.Scenario(s =>
        {
            s.Post.RawJson("""{"source": {"type": "local", "uri": ["x"]}}""").ToUrl($"{Models}/{NewName()}/versions");
            s.StatusCodeShouldBe(400);
        });

        top.Problem("invalid-json");
        Assert.NotEmpty(top.FieldErrors("name"));
        nested.Problem("invalid-json");
        Assert.NotEmpty(nested.FieldErrors("source.uri"));
    }

    [Fact]
    public async Task A_number_sent_as_a_string_is_refused()
    {
        var response = await App.Scenario(s =>
        {
            s.Post
                .RawJson("""{"version": "3", "source": {"type": "url", "uri": "https://x.example/m.onnx"}}""")
                .ToUrl($"{Models}/{NewName()}/versions");
            s.StatusCodeShouldBe(400);
        });

        Assert.NotEmpty(response.FieldErrors("version"));
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem_not_a_500()
    {
        var response = await App.Scenario(s => { s.Post.RawJson("""{"name": "x",""").ToUrl(Models); s.StatusCodeShouldBe(400); });

        response.Problem("invalid-json");
    }

    [Fact]
    public async Task A_missing_body_is_a_400_problem()
    {
        var response = await App.Scenario(s => { s.Post.Url(Models); s.StatusCodeShouldBe(400); });

        response.Problem("body-required");
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_415()
    {
        var response = await App.Scenario(s =>
        {
            s.Post.Text("name=x").ContentType("application/x-www-form-urlencoded").ToUrl(Models);
            s.StatusCodeShouldBe(415);
        });

        response.Problem("unsupported-media-type");
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        var huge = $$"""{"name": "big", "description": "{{new string('x', 2 * 1024 * 1024)}}"}""";

        var response = await App.Scenario(s => { s.Post.RawJson(huge).ToUrl(Models); s.StatusCodeShouldBe(413); });

        response.Problem("body-too-large");
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_413_and_one_under_it_arriving_in_pieces_is_read_whole()
    {
        // No Content-Length: the limit is enforced while the body arrives.
        using var huge = Chunked(Models, $$"""{"name": "big", "description": "{{new string('x', 2 * 1024 * 1024)}}"}""");
        using var refused = await App.Client.SendAsync(huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Null(huge.Content!.Headers.ContentLength);

        var name = NewName();
        var description = new string('y', 4000);
        using var fits = Chunked(Models, $$"""{"name": "{{name}}", "description": "{{description}}"}""");
        using var created = await App.Client.SendAsync(fits);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(description, (await App.Scenario(s => { s.Get.Url($"{Models}/{name}"); s.StatusCodeShouldBe(200); })).Json.Str("description"));
    }

    private static HttpRequestMessage Chunked(string url, string json) => new(HttpMethod.Post, url)
    {
        Content = new StreamContent(new TrickleStream(Encoding.UTF8.GetBytes(json)))
        {
            Headers = { ContentType = new MediaTypeHeaderValue("application/json") },
        },
        Headers = { Authorization = new AuthenticationHeaderValue("Bearer", RegistryApp.AdminKey) },
    };

    /// <summary>A body of unknown length (sent chunked) that arrives at most 1 KiB per read.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1024));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 1024)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, 1024), cancellationToken);
    }

    [Fact]
    public async Task Validation_errors_are_keyed_by_snake_case_field_paths()
    {
        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new
            {
                source = new { type = "ftp", uri = "x" },
                metadata = new { context_length = -1 },
            }).ToUrl($"{Models}/{NewName()}/versions");
            s.StatusCodeShouldBe(400);
        });

        response.Problem("validation");
        Assert.NotEmpty(response.FieldErrors("source.type"));
        Assert.NotEmpty(response.FieldErrors("metadata.context_length"));
    }

    [Fact]
    public async Task A_mutation_without_credentials_is_401_and_changes_nothing()
    {
        var name = NewName();

        var response = await App.Scenario(s => { s.Post.SnakeJson(new { name }).ToUrl(Models); s.Anonymous(); s.StatusCodeShouldBe(401); });

        response.Problem("unauthorized");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Empty(await App.StreamAsync(name));
    }

    [Fact]
    public async Task A_mutation_with_a_wrong_key_is_401()
    {
        var name = NewName();
        await App.RegisterModel(name);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { reason = "x" }).ToUrl($"{Models}/{name}/lock");
            s.WithBearerToken("not-the-key");
            s.StatusCodeShouldBe(401);
        });

        response.Problem("unauthorized");
        Assert.Single(await App.StreamAsync(name));
    }

    [Fact]
    public async Task Reads_need_no_credentials()
    {
        var name = NewName();
        await App.RegisterModel(name);

        await App.Scenario(s => { s.Get.Url($"{Models}/{name}"); s.Anonymous(); s.StatusCodeShouldBe(200); });
    }

    [Fact]
    public async Task The_correlation_id_of_the_request_is_echoed_and_stored_with_the_events()
    {
        var name = NewName();

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name }).ToUrl(Models);
            s.WithRequestHeader("X-Correlation-Id", "order-4711");
            s.StatusCodeShouldBe(201);
        });

        Assert.Equal("order-4711", response.Header("X-Correlation-Id"));
        var registered = Assert.Single(await App.StreamAsync(name));
        Assert.Equal("order-4711", registered.CorrelationId);
        Assert.Equal("admin", registered.UserName);
        Assert.False(string.IsNullOrEmpty(registered.CausationId));
    }

    [Fact]
    public async Task The_trace_id_of_a_traceparent_becomes_the_correlation_id()
    {
        var name = NewName();

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name }).ToUrl(Models);
            s.WithRequestHeader("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
            s.StatusCodeShouldBe(201);
        });

        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", response.Header("X-Correlation-Id"));
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", Assert.Single(await App.StreamAsync(name)).CorrelationId);
    }

    [Fact]
    public async Task Without_either_header_a_uuid_v7_correlation_id_is_generated_and_echoed()
    {
        var name = NewName();

        var response = await App.Scenario(s => { s.Post.SnakeJson(new { name }).ToUrl(Models); s.StatusCodeShouldBe(201); });

        var correlation = Guid.Parse(response.Header("X-Correlation-Id")!);
        Assert.Equal(7, correlation.Version);
        Assert.Equal(correlation.ToString(), Assert.Single(await App.StreamAsync(name)).CorrelationId);
    }

    [Fact]
    public async Task Problems_carry_the_correlation_id_too()
    {
        var response = await App.Scenario(s =>
        {
            s.Post.RawJson("{").ToUrl(Models);
            s.WithRequestHeader("X-Correlation-Id", "bad-body-1");
            s.StatusCodeShouldBe(400);
        });

        Assert.Equal("bad-body-1", response.Header("X-Correlation-Id"));
        Assert.Equal("bad-body-1", response.Json.Str("correlation_id"));
    }

    [Fact]
    public async Task An_unknown_url_is_a_404_problem()
    {
        var response = await App.Scenario(s => { s.Get.Url("/api/v1/nothing-here"); s.StatusCodeShouldBe(404); });

        response.Problem("not-found");
    }

    [Fact]
    public async Task The_openapi_document_describes_the_write_routes_in_both_name_forms()
    {
        var document = await App.Scenario(s => { s.Get.Url("/openapi/v1.json"); s.Anonymous(); s.StatusCodeShouldBe(200); });

        var paths = document.Json.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v1/models/{name}/versions/{version}/promote", paths);
        Assert.Contains("/api/v1/models/{namespace}/{name}/versions/{version}/promote", paths);
        Assert.Contains("/api/v1/registry/models/{name}/{version}/activate", paths);
    }

    [Fact]
    public async Task An_unexpected_failure_is_a_500_problem_without_details_and_rolls_the_append_back()
    {
        await using var app = await RegistryApp.StartAsync(fixture.Database.ConnectionString, fixture.StorageRoot,
            services: s => s.AddSingleton<IVersionDownloadQueue, BrokenQueue>());
        var name = NewName();

        var response = await app.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri = "https://x.example/m.onnx" } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(500);
        });

        var problem = response.Problem("internal");
        Assert.DoesNotContain("queue exploded", response.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("BrokenQueue", response.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", problem.Str("detail"), StringComparison.Ordinal);
        Assert.Empty(await app.StreamAsync(name));
    }

    [Fact]
    public async Task On_a_real_server_a_header_value_that_is_not_utf8_reaches_the_application_and_its_rules()
    {
        await using var server = ServerProcess.Create(fixture.Database.ConnectionString, fixture.StorageRoot,
            new Dictionary<string, string> { ["Registry:Jobs:RunWorker"] = "false" });
        await server.StartAsync();

        var wrongKey = await RawAsync(server.BaseAddress, $"POST {Models} HTTP/1.1", "Authorization: Bearer caf\u00e9", "Content-Length: 0");
        var correlation = await RawAsync(server.BaseAddress, $"GET {Models} HTTP/1.1", "X-Correlation-Id: caf\u00e9");

        Assert.Equal((401, "application/problem+json"), (wrongKey.Status, wrongKey.ContentType));
        Assert.Contains("problems/unauthorized", wrongKey.Body, StringComparison.Ordinal);
        Assert.Equal(200, correlation.Status);
        Assert.True(Guid.TryParse(correlation.Headers["X-Correlation-Id"], out _), correlation.Headers["X-Correlation-Id"]);
    }

    /// <summary>
    /// One request sent as Latin-1 bytes (an 'é' is the byte 0xE9, which is not UTF-8 and which HttpClient would refuse to put in a header),
    /// answered on a closing connection.
    /// </summary>
    private static async Task<RawResponse> RawAsync(Uri server, string requestLine, params string[] headers)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var request = $"{requestLine}\r\nHost: {server.Authority}\r\nConnection: close\r\n{string.Concat(headers.Select(h => h + "\r\n"))}\r\n";
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var head = text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        var fields = head.Skip(1).Select(h => h.Split(':', 2)).ToDictionary(h => h[0].Trim(), h => h[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var contentType = fields.GetValueOrDefault("Content-Type")?.Split(';')[0] ?? "";
        return new RawResponse(int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), contentType, fields,
            text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    private sealed record RawResponse(int Status, string ContentType, IReadOnlyDictionary<string, string> Headers, string Body);

    private sealed class BrokenQueue : IVersionDownloadQueue
    {
        public ValueTask EnqueueAsync(IDocumentSession session, IMessageContext bus, VersionDownloadRequest request) =>
            throw new InvalidOperationException("queue exploded in /srv/secret/path");
    }
}
