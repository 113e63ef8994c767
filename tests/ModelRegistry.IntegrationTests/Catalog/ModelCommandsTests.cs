using System.Collections.Immutable;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Catalog.Updating;
using ModelRegistry.Common;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog;

/// <summary>
/// A command on a model's stream as Wolverine runs it: a lost race is run again on the new state a bounded number of times
/// without If-Match, refused (412) with it; instances sharing the database decide on what the others appended.
/// </summary>
public sealed class ModelCommandsTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-commands-").FullName;
    private readonly Interloper _interloper = new();
    private RegistryApp _app = null!;

    public async Task InitializeAsync() => _app = await RegistryApp.StartAsync(db.ConnectionString, _root,
        services: s => s.ConfigureMarten(o => o.Projections.Add(_interloper, ProjectionLifecycle.Inline, "interloper")));

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Concurrent_commands_without_If_Match_all_land_each_decided_on_the_state_the_others_left()
    {
        var name = NewName();
        await _app.InvokeAsync(Register(name));

        var done = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => _app.InvokeAsync(Version(name)))));

        Assert.Equal([1, 2, 3, 4, 5, 6], done.Select(d => Registered(d).Version).Order());
        Assert.Equal([2L, 3, 4, 5, 6, 7], done.Select(d => d.Version).Order());
        Assert.Equal(Enumerable.Range(1, 7).Select(v => (long)v), (await _app.StreamAsync(name)).Select(e => e.Version));
    }

    [Fact]
    public async Task Concurrent_first_registrations_of_one_model_all_land_on_the_stream_the_first_one_started()
    {
        var name = NewName();

        var done = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => _app.InvokeAsync(Version(name)))));

        Assert.Equal([1, 2, 3, 4], done.Select(d => Registered(d).Version).Order());
        var stream = await _app.StreamAsync(name);
        Assert.Equal(["ModelRegistered", .. Enumerable.Repeat("VersionRegistered", 4)], stream.Types());
    }

    [Fact]
    public async Task A_command_that_lost_its_race_is_decided_again_on_the_state_the_winner_left()
    {
        var name = NewName();
        await _app.InvokeAsync(Register(name));
        using var contest = _interloper.Contest(name, times: 2, () => _app.InvokeAsync(Version(name)));

        var done = await _app.InvokeAsync(Version(name, Interloper.Contested));

        Assert.Equal((3, 3), (contest.Attempts, Registered(done).Version));
        var stream = await _app.StreamAsync(name);
        Assert.Equal([1, 2, 3], stream.Select(e => e.Data).OfType<VersionRegistered>().Select(v => v.Version));
        Assert.Equal(Interloper.Contested, stream[^1].Data is VersionRegistered { Source.Uri: var uri } ? uri : null);
    }

    [Fact]
    public async Task A_command_with_If_Match_that_lost_its_race_is_refused_with_412_and_appends_nothing()
    {
        var name = NewName();
        await _app.InvokeAsync(Register(name));
        using var contest = _interloper.Contest(name, times: 1, () => _app.InvokeAsync(new UpdateModel(name, "the interloper's", null)));

        var refused = await _app.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = Interloper.Contested }).ToUrl($"{Models}/{name}");
            s.WithRequestHeader("If-Match", "\"1\"");
            s.StatusCodeShouldBe(412);
        });

        refused.Problem("precondition-failed");
        Assert.Equal(1, contest.Attempts);
        Assert.Equal([null, "the interloper's"], (await _app.StreamAsync(name)).Select(e => (e.Data as ModelUpdated)?.Description));
    }

    [Fact]
    public async Task A_command_that_keeps_losing_is_run_eight_times_at_most_and_answers_409()
    {
        var name = NewName();
        await _app.InvokeAsync(Register(name));
        var interloperWrites = 0;
        using var contest = _interloper.Contest(name, times: int.MaxValue,
            () => _app.InvokeAsync(new UpdateModel(name, $"interloper {Interlocked.Increment(ref interloperWrites)}", null)));

        var refused = await _app.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = Interloper.Contested }).ToUrl($"{Models}/{name}");
            s.StatusCodeShouldBe(409);
        });

        refused.Problem("concurrency-conflict");
        Assert.Equal(8, contest.Attempts);
        var stream = await _app.StreamAsync(name);
        Assert.Equal(1 + 8, stream.Count);
        Assert.DoesNotContain(stream, e => e.Data is ModelUpdated { Description: Interloper.Contested });
    }

    [Fact]
    public async Task Of_eight_commands_with_the_same_If_Match_one_lands_and_the_others_are_refused_with_412()
    {
        var name = NewName();
        await _app.InvokeAsync(Register(name));

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => _app.Scenario(s =>
        {
            s.Patch.SnakeJson(new { description = $"writer {i}" }).ToUrl($"{Models}/{name}");
            s.WithRequestHeader("If-Match", "\"1\"");
            s.IgnoreStatusCode();
        }))));

        Assert.Equal([200, .. Enumerable.Repeat(412, 7)], answers.Select(a => a.Status).Order());
        Assert.All(answers.Where(a => a.Status == 412), a => a.Problem("precondition-failed"));
        Assert.Equal([1L, 2L], (await _app.StreamAsync(name)).Select(e => e.Version));
    }

    [Fact]
    public async Task Two_instances_writing_one_model_in_turn_each_decide_on_what_the_other_appended()
    {
        await using var first = await RegistryApp.StartAsync(db.ConnectionString, _root);
        await using var second = await RegistryApp.StartAsync(db.ConnectionString, _root);
        var name = NewName();
        var registered = new List<int>();
        long version = 0;

        for (var turn = 0; turn < 6; turn++)
        {
            // If-Match makes a decision on a stale state a refusal rather than a lost race that a retry would hide.
            var done = await (turn % 2 == 0 ? first : second).InvokeAsync(Version(name) with { Context = CommandContext.None with { IfMatch = version } });
            registered.Add(Registered(done).Version);
            version = done.Version;
        }

        Assert.Equal([1, 2, 3, 4, 5, 6], registered);
        Assert.Equal(7, version);
    }

    [Fact]
    public async Task A_commands_events_carry_its_context_and_ids_of_their_own()
    {
        var name = NewName();
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);

        await _app.InvokeAsync(Register(name) with { Context = new CommandContext("alice", "corr-1", "cause-1", "because") });
        await _app.InvokeAsync(Version(name) with { Context = new CommandContext("bob", "corr-2", "cause-2") });

        var stream = await _app.StreamAsync(name);
        Assert.Equal([("alice", "corr-1", "cause-1", "because"), ("bob", "corr-2", "cause-2", null)],
            stream.Select(e => (e.UserName, e.CorrelationId, e.CausationId, e.GetHeader(RegistryStore.ReasonHeader)?.ToString())));
        Assert.All(stream, e => Assert.Equal(7, e.Id.Version));
        Assert.Equal(2, stream.Select(e => e.Id).Distinct().Count());
        Assert.All(stream, e => Assert.InRange(e.Timestamp, before, DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    private static RegisterModel Register(string name) => new(name, null, ImmutableDictionary<string, string>.Empty, "alice");

    /// <summary>A ready version with the next free number, its file measured (the handler does not look at it).</summary>
    private static RegisterVersion Version(string name, string uri = "weights.gguf") => new(
        name, null, new VersionSource(SourceType.Local, uri, null, null), null, null, VersionMetadata.Empty, "alice",
        new MeasuredFile($"{name}/{Guid.NewGuid():N}.gguf", 7, Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()).PadRight(64, '0')));

    private static VersionRegistered Registered(CommandDone done) => Assert.Single(done.Decided.OfType<VersionRegistered>());

    /// <summary>
    /// Makes a contested command lose its race: while Marten saves the contested command's events (inline projections run before
    /// its append), another command on the same stream is run to its commit, so the contested append finds the stream moved on.
    /// A contested command is one whose events carry <see cref="Contested"/>.
    /// </summary>
    private sealed class Interloper : IProjection
    {
        public const string Contested = "contested";

        private Contest? _contest;

        public Contest Contest(string name, int times, Func<Task> interfere) => _contest = new Contest(this, CatalogStream.StreamId(name), times, interfere);

        public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
        {
            if (_contest is not { } contest || !events.Any(e => e.StreamKey == contest.Stream && IsContested(e.Data)))
            {
                return;
            }

            if (Interlocked.Increment(ref contest.Attempts) <= contest.Times)
            {
                await contest.Interfere();
            }
        }

        private static bool IsContested(object data) =>
            data is ModelUpdated { Description: Contested } or VersionRegistered { Source.Uri: Contested };

        public void End(Contest contest) => Interlocked.CompareExchange(ref _contest, null, contest);
    }

    private sealed class Contest(Interloper interloper, string stream, int times, Func<Task> interfere) : IDisposable
    {
        public int Attempts;

        public string Stream { get; } = stream;

        public int Times { get; } = times;

        public Func<Task> Interfere { get; } = interfere;

        public void Dispose() => interloper.End(this);
    }
}
