using System.Net;

namespace ModelRegistry.Tests.Cli;

public sealed class WatchCommandTests
{
    private static string Change(long id, int version) => $$"""
        id: {{id}}
        event: production
        data: {"name": "tiny", "version": {{version}}, "local_path": "tiny/{{version}}/tiny.gguf", "sha256": null, "size_bytes": 10, "promoted_at": "2026-01-02T03:04:05Z", "promoted_by": "erin"}


        """;

    [Fact]
    public async Task Watch_prints_a_line_per_change_and_resumes_after_the_last_event_id_when_the_stream_ends()
    {
        using var stop = new CancellationTokenSource();
        var registry = new StubRegistry((_, call) =>
        {
            switch (call)
            {
                case 1:
                    return StubRegistry.Respond(HttpStatusCode.OK, ": production of tiny\n\n" + Change(41, 1), "text/event-stream");
                case 2:
                    return StubRegistry.Respond(HttpStatusCode.OK, Change(57, 2), "text/event-stream");
                default:
                    stop.Cancel();
                    throw new OperationCanceledException(stop.Token);
            }
        });

        var run = new CliRunner(registry).Start(stop.Token, "watch", "tiny");

        Assert.Equal(0, await run.Exit);
        Assert.Equal(
        [
            "2026-01-02 03:04:05Z tiny production is v1 (by erin) tiny/1/tiny.gguf",
            "2026-01-02 03:04:05Z tiny production is v2 (by erin) tiny/2/tiny.gguf",
        ], run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.False(registry.Requests[0].Headers.Contains("Last-Event-ID"));
        Assert.Equal(["41"], registry.Requests[1].Headers.GetValues("Last-Event-ID"));
        Assert.Equal(["57"], registry.Requests[2].Headers.GetValues("Last-Event-ID"));
        Assert.Equal("/api/v1/models/tiny/production/watch", registry.Requests[0].RequestUri!.AbsolutePath);
    }
}
