using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Crashes;

/// <summary>
/// Concurrent clients sending catalog commands to a server that may die or lose its database at any moment. Each client
/// owns a few models and knows their state, so it sends only commands that change something and knows the events each
/// must append; all of them also register versions of one shared model, so appends race. Every request carries its own
/// X-Correlation-Id, by which <see cref="EventAudit"/> finds its events. A request sent with an Idempotency-Key is
/// retried with the same key and correlation id until it is answered; after any other failed request the client reads
/// its model back before going on, since the command may or may not have been applied.
/// </summary>
internal sealed class CatalogLoad(ServerProcess server, string storageRoot, int clients, int seed)
{
    public const string SharedModel = "crash/shared";
    private const int ModelsPerClient = 2;
    private const int MaxVersions = 150;
    private const int LocalFiles = 4;
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(40);

    private readonly ConcurrentQueue<SentCommand> _ledger = new();
    private readonly ConcurrentQueue<Refusal> _refusals = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _cycle;
    private int _conflicts;

    /// <summary>Every command sent, answered or not.</summary>
    public IReadOnlyCollection<SentCommand> Ledger => _ledger;

    /// <summary>Answers other than the 2xx the command was sent for (refusals, server errors), but for <see cref="Conflicts"/>, in order.</summary>
    public IReadOnlyCollection<Refusal> Refusals => _refusals;

    /// <summary>How many answers were 409 concurrency-conflict (the server's retries of a lost race ran out); those are sent again.</summary>
    public int Conflicts => Volatile.Read(ref _conflicts);

    /// <summary>How many times the server has been killed or its database restarted so far; each acknowledgement records it.</summary>
    public int Cycle
    {
        get => Volatile.Read(ref _cycle);
        set => Volatile.Write(ref _cycle, value);
    }

    /// <summary>Writes the files local registrations point at, and registers the shared model.</summary>
    public async Task PrepareAsync(CancellationToken ct)
    {
        for (var i = 0; i < LocalFiles; i++)
        {
            var path = Path.Combine(storageRoot, LocalFile(i));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, $"model bytes {i}", ct);
        }

        using var client = server.CreateClient();
        var create = Command(SharedModel, "POST", "/api/v1/models", $$"""{"name":"{{SharedModel}}"}""", ["ModelRegistered"], idempotent: true);
        await SendUntilAnsweredAsync(client, create, ct);
    }

    /// <summary>Runs the clients until <paramref name="stop"/>; a command under way is finished (or given up) first.</summary>
    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => ClientAsync(i, stop), CancellationToken.None)));

    /// <summary>
    /// Runs the clients while the server is killed with SIGKILL <paramref name="cycles"/> times, each after a random
    /// 0.1 to 1 s of load, and started again on the same database; ends with the server up and the clients stopped.
    /// </summary>
    public async Task<KillRun> RunKillingAsync(int cycles, CancellationToken ct)
    {
        var random = new Random(seed);
        var exitCodes = new List<int?>();
        var restartToReady = new List<TimeSpan>();
        using var stop = new CancellationTokenSource();
        var running = RunAsync(stop.Token);
        try
        {
            for (var cycle = 1; cycle <= cycles; cycle++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(100, 1000)), ct);
                exitCodes.Add(await server.KillAsync());
                Cycle = cycle;
                restartToReady.Add(await server.StartAsync(ct));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }

        return new KillRun(exitCodes, restartToReady);
    }

    /// <summary>Acknowledged commands sent with an Idempotency-Key, first answered before cycle <paramref name="cycle"/>.</summary>
    public IEnumerable<SentCommand> IdempotentAcknowledgedBefore(int cycle) =>
        Ledger.Where(c => c.Acknowledged && c.IdempotencyKey is not null && c.AcknowledgedInCycle < cycle);

    /// <summary>Commands acknowledged after <paramref name="since"/> on this load's clock.</summary>
    public int AcknowledgedAfter(TimeSpan since) => Ledger.Count(c => c.Acknowledged && c.AcknowledgedAt > since);

    public TimeSpan Elapsed => _clock.Elapsed;

    public static string LocalFile(int i) => $"crash/file-{i}.gguf";

    private async Task ClientAsync(int index, CancellationToken stop)
    {
        var random = new Random(seed * 1000 + index);
        var models = Enumerable.Range(1, ModelsPerClient).Select(i => new OwnedModel($"crash/c{index}-m{i}")).ToArray();
        using var client = server.CreateClient(connections: 2, timeout: TimeSpan.FromSeconds(30));
        while (!stop.IsCancellationRequested)
        {
            var model = models[random.Next(models.Length)];
            if (model.Unknown)
            {
                await ReadBackAsync(client, model, stop);
                continue;
            }

            var (command, apply) = random.Next(10) == 0 ? RegisterShared(random) : Next(model, random);
            if (command.IdempotencyKey is not null)
            {
                if (await SendUntilAnsweredAsync(client, command, stop) is { } status && Is2xx(status))
                {
                    apply(command);
                }
                else
                {
                    model.Unknown = true;
                }

                continue;
            }

            if (await TrySendAsync(client, command) is { } answered && Is2xx(answered))
            {
                apply(command);
            }
            else
            {
                model.Unknown = true;
                await Task.Delay(Backoff, CancellationToken.None);
            }
        }
    }

    private (SentCommand Command, Action<SentCommand> Apply) Next(OwnedModel model, Random random)
    {
        var idempotent = random.Next(10) < 3;
        var path = $"/api/v1/models/{model.Name}";
        if (!model.Exists)
        {
            return (Command(model.Name, "POST", $"{path}/versions", LocalSource(random), ["ModelRegistered", "VersionRegistered"], idempotent),
                _ => model.Register(ready: true));
        }

        if (model.Locked)
        {
            return (Command(model.Name, "POST", $"{path}/unlock", """{"reason":"crash test"}""", ["ModelUnlocked"], idempotent),
                _ => model.Locked = false);
        }

        var staging = model.Versions.Where(v => v.Value.Stage == "staging").Select(v => v.Key).ToList();
        var archived = model.Versions.Where(v => v.Value.Stage == "archived").Select(v => v.Key).ToList();
        var promotable = model.Versions.Where(v => v.Value is { Stage: "staging", Ready: true }).Select(v => v.Key).ToList();
        while (true)
        {
            switch (random.Next(9))
            {
                case 0 or 1 when model.Latest < MaxVersions:
                    return (Command(model.Name, "POST", $"{path}/versions", LocalSource(random), ["VersionRegistered"], idempotent),
                        _ => model.Register(ready: true));
                case 2 when model.Latest < MaxVersions:
                    return (Command(model.Name, "POST", $"{path}/versions", UrlSource(random), ["VersionRegistered"], idempotent),
                        _ => model.Register(ready: false));
                case 3 or 4 when promotable.Count > 0:
                    var promoted = promotable[random.Next(promotable.Count)];
                    string[] events = model.Production is null ? ["VersionPromoted"] : ["VersionDemoted", "VersionPromoted"];
                    return (Command(model.Name, "POST", $"{path}/versions/{promoted}/promote", """{"stage":"production","reason":"crash test"}""",
                        events, idempotent), _ => model.Promote(promoted));
                case 5 when model.Production is { } production:
                    return (Command(model.Name, "POST", $"{path}/versions/{production}/demote", """{"reason":"crash test"}""", ["VersionDemoted"],
                        idempotent), _ => model.SetStage(production, "staging"));
                case 6 when staging.Count > 0:
                    var archive = staging[random.Next(staging.Count)];
                    return (Command(model.Name, "POST", $"{path}/versions/{archive}/archive", """{"reason":"crash test"}""", ["VersionArchived"],
                        idempotent), _ => model.SetStage(archive, "archived"));
                case 7 when archived.Count > 0:
                    var restore = archived[random.Next(archived.Count)];
                    return (Command(model.Name, "POST", $"{path}/versions/{restore}/restore", """{"reason":"crash test"}""", ["VersionRestored"],
                        idempotent), _ => model.SetStage(restore, "staging"));
                case 8:
                    return (Command(model.Name, "POST", $"{path}/lock", """{"reason":"crash test"}""", ["ModelLocked"], idempotent),
                        _ => model.Locked = true);
            }
        }
    }

    private (SentCommand Command, Action<SentCommand> Apply) RegisterShared(Random random) =>
        (Command(SharedModel, "POST", $"/api/v1/models/{SharedModel}/versions", UrlSource(random), ["VersionRegistered"], random.Next(10) < 3),
            _ => { });

    private static string LocalSource(Random random) => $$$"""{"source":{"type":"local","uri":"{{{LocalFile(random.Next(LocalFiles))}}}"}}""";

    private static string UrlSource(Random random) =>
        $$$"""{"source":{"type":"url","uri":"https://downloads.invalid/crash/{{{random.Next(1000)}}}.gguf"}}""";

    private static SentCommand Command(string model, string method, string path, string body, string[] expected, bool idempotent)
    {
        var correlation = Guid.CreateVersion7().ToString();
        return new SentCommand(correlation, model, method, path, body, idempotent ? $"crash-{correlation}" : null, expected);
    }

    /// <summary>Sends until the server answers, through kills and restarts; null only when stopped before any answer.</summary>
    private async Task<int?> SendUntilAnsweredAsync(HttpClient client, SentCommand command, CancellationToken stop)
    {
        var attemptsAfterStop = 0;
        while (true)
        {
            if (await TrySendAsync(client, command) is { } status && status < 500)
            {
                return status;
            }

            if (stop.IsCancellationRequested && ++attemptsAfterStop > 250)
            {
                return null;
            }

            await Task.Delay(Backoff, CancellationToken.None);
        }
    }

    /// <summary>One attempt; the status, or null when the connection failed or the command lost a race. Records the first 2xx in the command.</summary>
    private async Task<int?> TrySendAsync(HttpClient client, SentCommand command)
    {
        if (command.Attempts++ == 0)
        {
            _ledger.Enqueue(command);
        }

        try
        {
            var answer = await SendAsync(client, command, command.CorrelationId);
            if (Is2xx(answer.Status))
            {
                command.Acknowledge(answer, Cycle, Elapsed);
            }
            else if (answer is { Status: 409 } && answer.Body.Contains("/problems/concurrency-conflict", StringComparison.Ordinal))
            {
                // Lost the race for the shared model more often than the server retries: nothing was appended; send again.
                Interlocked.Increment(ref _conflicts);
                return null;
            }
            else
            {
                _refusals.Enqueue(new Refusal(command, answer.Status, answer.ContentType, answer.Body));
            }

            return answer.Status;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return null;
        }
    }

    /// <summary>Sends <paramref name="command"/> as it was first sent, under the given correlation id.</summary>
    public static async Task<Answer> SendAsync(HttpClient client, SentCommand command, string correlationId)
    {
        using var request = new HttpRequestMessage(new HttpMethod(command.Method), command.Path)
        {
            Content = new StringContent(command.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Correlation-Id", correlationId);
        if (command.IdempotencyKey is { } key)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new Answer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, response.Headers.ETag?.Tag,
            response.Headers.TryGetValues("Idempotent-Replayed", out var replayed) && replayed.Contains("true"));
    }

    private async Task ReadBackAsync(HttpClient client, OwnedModel model, CancellationToken stop)
    {
        while (true)
        {
            try
            {
                using var response = await client.GetAsync($"/api/v1/models/{model.Name}?versions_limit=200", CancellationToken.None);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    model.Reset(null);
                    return;
                }

                if (response.StatusCode == HttpStatusCode.OK)
                {
                    model.Reset(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
            }

            if (stop.IsCancellationRequested)
            {
                return;
            }

            await Task.Delay(Backoff, CancellationToken.None);
        }
    }

    private static bool Is2xx(int status) => status is >= 200 and < 300;

    private sealed class OwnedModel(string name)
    {
        public string Name { get; } = name;

        public bool Exists { get; private set; }

        public bool Unknown { get; set; }

        public bool Locked { get; set; }

        public int Latest { get; private set; }

        public int? Production { get; private set; }

        public Dictionary<int, (string Stage, bool Ready)> Versions { get; } = [];

        public void Register(bool ready)
        {
            Exists = true;
            Versions[++Latest] = ("staging", ready);
        }

        public void Promote(int version)
        {
            if (Production is { } previous)
            {
                Versions[previous] = ("staging", Versions[previous].Ready);
            }

            SetStage(version, "production");
        }

        public void SetStage(int version, string stage)
        {
            Versions[version] = (stage, Versions[version].Ready);
            Production = stage == "production" ? version : Production == version ? null : Production;
        }

        /// <summary>Takes the state the server shows (null: no such model).</summary>
        public void Reset(JsonElement? model)
        {
            Versions.Clear();
            Exists = model is not null;
            Locked = model?.GetProperty("locked").GetBoolean() ?? false;
            Latest = model?.GetProperty("latest_version").GetInt32() ?? 0;
            Production = model?.GetProperty("production_version") is { ValueKind: JsonValueKind.Number } p ? p.GetInt32() : null;
            foreach (var v in model?.GetProperty("versions").EnumerateArray() ?? default)
            {
                Versions[v.GetProperty("version").GetInt32()] = (v.GetProperty("stage").GetString()!, v.GetProperty("status").GetString() == "ready");
            }

            Unknown = false;
        }
    }
}

/// <summary>A command as sent, with the event types it must append, and its first 2xx answer once it has one.</summary>
internal sealed class SentCommand(string correlationId, string stream, string method, string path, string body, string? idempotencyKey, string[] expected)
{
    public string CorrelationId { get; } = correlationId;

    /// <summary>The model's stream key (model names here are lower case, so the name).</summary>
    public string Stream { get; } = stream;

    public string Method { get; } = method;

    public string Path { get; } = path;

    public string Body { get; } = body;

    public string? IdempotencyKey { get; } = idempotencyKey;

    public IReadOnlyList<string> ExpectedEvents { get; } = expected;

    public int Attempts { get; set; }

    public Answer? Answer { get; private set; }

    public bool Acknowledged => Answer is not null;

    public int AcknowledgedInCycle { get; private set; }

    public TimeSpan AcknowledgedAt { get; private set; }

    public void Acknowledge(Answer answer, int cycle, TimeSpan at)
    {
        if (Answer is null)
        {
            (Answer, AcknowledgedInCycle, AcknowledgedAt) = (answer, cycle, at);
        }
    }

    public override string ToString() => $"{Method} {Path} {Body} (correlation {CorrelationId}, key {IdempotencyKey ?? "none"})";
}

/// <param name="ExitCodes">How the server ended at each kill (137: SIGKILL).</param>
/// <param name="RestartToReady">From each start to <c>/health/ready</c> answering 200.</param>
internal sealed record KillRun(IReadOnlyList<int?> ExitCodes, IReadOnlyList<TimeSpan> RestartToReady);

internal sealed record Answer(int Status, string? ContentType, string Body, string? ETag, bool Replayed);

internal sealed record Refusal(SentCommand Command, int Status, string? ContentType, string Body)
{
    public override string ToString() => $"{Command} answered {Status} {ContentType}: {Body}";
}
