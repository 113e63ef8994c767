using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ModelRegistry.Common;
using Npgsql;

namespace ModelRegistry.Tests.Common;

public sealed class ProblemsTests
{
    [Fact]
    public void A_problem_type_is_a_stable_url_per_code() =>
        Assert.Equal("https://modelregistry.dev/problems/model-locked", Problems.Type("model-locked"));

    [Fact]
    public void A_title_reads_the_code_as_a_phrase() => Assert.Equal("Version not ready", Problems.Title("version-not-ready"));

    [Fact]
    public void Field_errors_travel_as_an_errors_extension()
    {
        var problem = Problems.Create(400, "validation", "bad", new Dictionary<string, string[]> { ["source.uri"] = ["outside"] });

        Assert.Equal(400, problem.Status);
        Assert.Equal(["outside"], ((IReadOnlyDictionary<string, string[]>)problem.Extensions["errors"]!)["source.uri"]);
    }

    [Fact]
    public void A_problem_without_field_errors_has_no_errors_extension() =>
        Assert.False(Problems.Create(404, "model-not-found", "none").Extensions.ContainsKey("errors"));

    [Fact]
    public async Task A_database_that_cannot_be_reached_answers_503_with_retry_after()
    {
        var http = await HandledAsync(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)));

        Assert.Equal(503, http.Response.StatusCode);
        Assert.Equal("1", http.Response.Headers.RetryAfter.ToString());
        http.Response.Body.Position = 0;
        Assert.Contains("/problems/database-unavailable", await new StreamReader(http.Response.Body).ReadToEndAsync());
    }

    [Fact]
    public async Task A_database_failure_reported_inside_another_exception_answers_503()
    {
        var lost = new NpgsqlException("Exception while reading from stream", new IOException("connection reset"));
        Exception exception = new InvalidOperationException("Marten Command Failure", lost);

        var http = await HandledAsync(exception);

        Assert.Equal(503, http.Response.StatusCode);
        http.Response.Body.Position = 0;
        Assert.Contains("/problems/database-unavailable", await new StreamReader(http.Response.Body).ReadToEndAsync());
    }

    [Fact]
    public async Task Other_failures_carry_no_retry_after()
    {
        var http = await HandledAsync(new InvalidOperationException("bug"));

        Assert.Equal(500, http.Response.StatusCode);
        Assert.False(http.Response.Headers.ContainsKey("Retry-After"));
    }

    /// <summary>The answer the app's exception handler writes for <paramref name="exception"/>.</summary>
    private static async Task<HttpContext> HandledAsync(Exception exception)
    {
        await using var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var http = new DefaultHttpContext { RequestServices = services, Response = { Body = new MemoryStream() } };
        var handler = new ProblemExceptionHandler(services.GetRequiredService<IProblemDetailsService>(), NullLogger<ProblemExceptionHandler>.Instance);
        Assert.True(await handler.TryHandleAsync(http, exception, default));
        return http;
    }
}
