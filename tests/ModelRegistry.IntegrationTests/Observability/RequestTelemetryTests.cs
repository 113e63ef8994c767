using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Admin;
using ModelRegistry.IntegrationTests.Infrastructure;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Observability;

public sealed class RequestTelemetryTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private RegistryApp App => fixture.App;

    [Fact]
    public async Task Every_line_logged_while_handling_a_request_carries_its_correlation_id()
    {
        var name = NewName();
        var correlation = $"corr-{Guid.NewGuid():N}";
        // ASP.NET Core's own lines (routing, the endpoint) are Warning and up by default; here they count too.
        await using var app = await fixture.StartAsync(new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore"] = "Information" });

        await app.Scenario(s =>
        {
            s.Post.SnakeJson(new { name }).ToUrl(Models);
            s.WithRequestHeader("X-Correlation-Id", correlation);
            s.StatusCodeShouldBe(201);
        });

        // The host's own "Request starting/finished" lines are written around the pipeline, before any middleware runs.
        var lines = app.Logs.Where(l => l["RequestPath"] == Models && l.Category != "Microsoft.AspNetCore.Hosting.Diagnostics").ToList();
        var ours = lines.Where(l => l["CorrelationId"] == correlation).ToList();
        Assert.NotEmpty(ours);
        Assert.All(lines.Where(l => l["RequestId"] == ours[0]["RequestId"]), l => Assert.Equal(correlation, l["CorrelationId"]));
    }

    [Fact]
    public async Task By_default_a_request_writes_no_lines_of_asp_net_core_below_warning()
    {
        var correlation = $"corr-{Guid.NewGuid():N}";

        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name = NewName() }).ToUrl(Models);
            s.WithRequestHeader("X-Correlation-Id", correlation);
            s.StatusCodeShouldBe(201);
        });

        // appsettings.json: two lines per request (host start and finish) and more from routing would cost every request.
        Assert.DoesNotContain(App.Logs, l => l.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && l.Level < LogLevel.Warning);
    }

    [Fact]
    public async Task Registering_a_version_counts_one_appended_command_and_every_event_it_appended()
    {
        var name = NewName();
        using var metrics = new MetricsRecorder(App.Services);

        await App.RegisterLocalVersion(name);

        var command = Assert.Single(metrics.Of("modelregistry.commands"));
        Assert.Equal(("POST /api/v1/models/{name}/versions", "appended"), (command.Tag("command"), command.Tag("outcome")));
        var events = await App.StreamAsync(name);
        Assert.Equal(events.Count, metrics.Sum("modelregistry.events.appended"));
        Assert.Equal(events.Types().Order(), metrics.Of("modelregistry.events.appended").Select(m => m.Tag("type")!).Order());
        Assert.NotEmpty(metrics.Of("modelregistry.append.duration"));
        Assert.All(metrics.Of("modelregistry.append.duration"), m => Assert.True(m.Value >= 0));
    }

    [Fact]
    public async Task A_command_that_changes_nothing_counts_as_a_no_op_and_one_that_is_refused_as_refused()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name);
        await App.Promote(name, 1);
        using var metrics = new MetricsRecorder(App.Services);

        await App.Promote(name, 1);
        await App.Promote(name, 7, expect: 404);

        Assert.Equal(["no-op", "refused"], metrics.Of("modelregistry.commands").Select(m => m.Tag("outcome")));
        Assert.All(metrics.Of("modelregistry.commands"), m => Assert.Equal("POST /api/v1/models/{name}/versions/{version:int}/promote", m.Tag("command")));
        Assert.Empty(metrics.Of("modelregistry.events.appended"));
    }

    [Fact]
    public async Task The_projection_lag_gauge_reports_every_projection_the_admin_api_lists()
    {
        await App.RegisterLocalVersion(NewName());
        var projections = App.Services.GetRequiredService<ProjectionAdmin>();
        await projections.WaitForNonStaleAsync(Timeout);
        using var metrics = new MetricsRecorder(App.Services);

        metrics.Collect();

        var lags = metrics.Of("modelregistry.projection.lag");
        Assert.Equal((await projections.GetStatusAsync()).Select(s => s.Name).Order(), lags.Select(m => m.Tag("projection")!).Order());
        Assert.All(lags, m => Assert.True(m.Value >= 0));
    }

    [Fact]
    public async Task Ready_answers_json_with_the_status_and_description_of_postgresql_storage_projections_and_download_workers()
    {
        var ready = await App.Scenario(s => { s.Get.Url("/health/ready"); s.Anonymous(); s.StatusCodeShouldBe(200); });

        Assert.StartsWith("application/json", ready.ContentType, StringComparison.Ordinal);
        Assert.Equal("healthy", ready.Json.Str("status"));
        var checks = ready.Json.GetProperty("checks");
        Assert.Equal(["download-workers", "postgresql", "projections", "storage"], checks.EnumerateObject().Select(c => c.Name).Order());
        Assert.All(checks.EnumerateObject(), c => Assert.Equal("healthy", c.Value.Str("status")));
        Assert.Contains("RunWorker", checks.GetProperty("download-workers").Str("description"), StringComparison.Ordinal);
        Assert.Contains("largest lag", checks.GetProperty("projections").Str("description"), StringComparison.Ordinal);
        Assert.Equal("off", checks.GetProperty("download-workers").GetProperty("data").Str("state"));
        await App.Scenario(s => { s.Get.Url("/health/live"); s.Anonymous(); s.StatusCodeShouldBe(200); });
    }

    [Fact]
    public async Task Nothing_is_exported_without_an_otlp_endpoint_and_metrics_and_traces_are_with_one()
    {
        Assert.Null(App.Services.GetService<MeterProvider>());
        Assert.Null(App.Services.GetService<TracerProvider>());

        await using var exporting =
            await fixture.StartAsync(new Dictionary<string, string?> { ["Registry:Telemetry:OtlpEndpoint"] = "http://127.0.0.1:9" });

        Assert.NotNull(exporting.Services.GetService<MeterProvider>());
        Assert.NotNull(exporting.Services.GetService<TracerProvider>());
        await exporting.Scenario(s => { s.Get.Url("/health/ready"); s.Anonymous(); s.StatusCodeShouldBe(200); });
    }
}
