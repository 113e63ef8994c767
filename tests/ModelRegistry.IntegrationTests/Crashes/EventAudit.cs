using System.Globalization;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Crashes;

/// <summary>
/// What the event store holds, checked against what clients were told: every acknowledged command's events are there
/// exactly once (found by correlation id), no command is there in part, each stream's versions run 1..n with
/// mt_streams at n, positions and event ids are unique, and every URL registration queued exactly one download job.
/// </summary>
internal sealed record EventAudit(int Acknowledged, int Events, int Lost, int Duplicated, int HalfApplied, int Gaps, IReadOnlyList<string> Problems)
{
    private const int MaxProblems = 40;

    public bool Clean => Problems.Count == 0;

    public override string ToString() =>
        $"{Acknowledged} acknowledged, {Events} events, lost {Lost}, duplicated {Duplicated}, half applied {HalfApplied}, gaps {Gaps}"
        + string.Concat(Problems.Select(p => Environment.NewLine + "  " + p));

    public static async Task<EventAudit> RunAsync(string connectionString, IReadOnlyCollection<SentCommand> ledger, CancellationToken ct)
    {
        var events = await ReadAsync(connectionString,
            """
            SELECT seq_id, id::text, stream_id, version, type, coalesce(correlation_id, ''), coalesce(data->'source'->>'type', ''),
                   coalesce((data->>'version')::bigint, 0)
            FROM registry.mt_events WHERE stream_id <> 'mt_tombstone' ORDER BY seq_id
            """,
            r => new StoredRow(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetInt64(7)),
            ct);
        var streams = (await ReadAsync(connectionString, "SELECT id, version FROM registry.mt_streams WHERE id <> 'mt_tombstone'", r => (Id: r.GetString(0), Version: r.GetInt64(1)), ct))
            .ToDictionary(s => s.Id, s => s.Version);
        var jobs = await ReadAsync(connectionString,
            "SELECT data->>'model_name', (data->>'model_version')::bigint FROM registry.mt_doc_downloadrecord", r => (Model: r.GetString(0).ToLowerInvariant(), Version: r.GetInt64(1)), ct);

        var problems = new List<string>();
        int lost = 0, duplicated = 0, halfApplied = 0, gaps = 0;

        duplicated += Report(problems, events.GroupBy(e => e.Position).Where(g => g.Count() > 1), g => $"position {g.Key} is stored {g.Count()} times");
        duplicated += Report(problems, events.GroupBy(e => e.Id).Where(g => g.Count() > 1), g => $"event id {g.Key} is stored {g.Count()} times");

        var byStream = events.GroupBy(e => e.Stream).ToDictionary(g => g.Key, g => g.Select(e => e.Version).Order().ToList());
        foreach (var (stream, versions) in byStream)
        {
            if (!versions.SequenceEqual(Enumerable.Range(1, versions.Count).Select(v => (long)v)))
            {
                gaps += Report(problems, [stream], _ => $"stream {stream} has versions {string.Join(',', versions)}, not 1..{versions.Count}");
            }

            if (streams.GetValueOrDefault(stream) != versions[^1])
            {
                gaps += Report(problems, [stream], _ => $"mt_streams says {stream} is at {streams.GetValueOrDefault(stream)}, its last event is {versions[^1]}");
            }
        }

        gaps += Report(problems, streams.Keys.Where(s => !byStream.ContainsKey(s)), s => $"stream {s} has a row in mt_streams but no events");

        var byCorrelation = events.ToLookup(e => e.Correlation);
        foreach (var command in ledger)
        {
            var found = byCorrelation[command.CorrelationId].OrderBy(e => e.Position).ToList();
            var types = found.Select(e => e.Type).ToList();
            var expected = command.ExpectedEvents;
            if (found.Count == 0)
            {
                lost += command.Acknowledged ? Report(problems, [command], c => $"acknowledged but not stored: {c} answered {c.Answer}") : 0;
            }
            else if (types.SequenceEqual(expected))
            {
                var contiguous = found.All(e => e.Stream == command.Stream) && found[^1].Version - found[0].Version == found.Count - 1;
                halfApplied += contiguous ? 0 : Report(problems, [command], c => $"events of {c} are not one append: {Describe(found)}");
                if (command.Answer?.ETag is { } etag && etag.Trim('"') != found[^1].Version.ToString(CultureInfo.InvariantCulture))
                {
                    problems.Add($"{command} answered ETag {etag}, but its events end at version {found[^1].Version}");
                }
            }
            else if (types.Count % expected.Count == 0 && types.Chunk(expected.Count).All(chunk => chunk.SequenceEqual(expected)))
            {
                duplicated += Report(problems, [command], c => $"applied {types.Count / expected.Count} times: {c}: {Describe(found)}");
            }
            else
            {
                halfApplied += Report(problems, [command], c => $"expected [{string.Join(',', expected)}] from {c}, found {Describe(found)}");
            }
        }

        var sent = ledger.Select(c => c.CorrelationId).ToHashSet();
        Report(problems, events.Where(e => !sent.Contains(e.Correlation)), e => $"an event no client sent: {Describe([e])}");

        var downloads = events.Where(e => e is { Type: "VersionRegistered", Source: "url" }).Select(e => (Model: e.Stream, Version: e.RegisteredVersion)).ToList();
        duplicated += Report(problems, jobs.GroupBy(j => j).Where(g => g.Count() > 1), g => $"{g.Count()} download jobs for {g.Key.Model} version {g.Key.Version}");
        halfApplied += Report(problems, downloads.Except(jobs), v => $"{v.Model} version {v.Version} was registered from a URL without a download job");
        halfApplied += Report(problems, jobs.Except(downloads), j => $"a download job for {j.Model} version {j.Version}, which was never registered");

        return new EventAudit(ledger.Count(c => c.Acknowledged), events.Count, lost, duplicated, halfApplied, gaps, problems);
    }

    private static int Report<T>(List<string> problems, IEnumerable<T> items, Func<T, string> describe)
    {
        var count = 0;
        foreach (var item in items)
        {
            count++;
            if (problems.Count < MaxProblems)
            {
                problems.Add(describe(item));
            }
        }

        return count;
    }

    private static string Describe(IEnumerable<StoredRow> events) =>
        string.Join(", ", events.Select(e => $"{e.Type} {e.Stream}@{e.Version} (position {e.Position})"));

    private static async Task<List<T>> ReadAsync<T>(string connectionString, string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private sealed record StoredRow(long Position, string Id, string Stream, long Version, string Type, string Correlation, string Source, long RegisteredVersion);
}
